from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from certifications.models import SkillBlock
from financing.models import Funder, FunderKind, Scheme, cpf_file_number_validator

EMPLOYER_CHOICE = "employer"
SELF_CHOICE = "self"

money_field = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0")}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class FundingLineForm(forms.Form):
    """A new funding line for one path. Eligibility is checked by the service and shown on the
    ``scheme`` or ``funder`` field."""

    scheme = forms.ChoiceField(label=_("Financing scheme"), choices=[("", "—"), *Scheme.choices])
    funder = forms.ChoiceField(label=_("Funder"))
    blocks = forms.ModelMultipleChoiceField(
        label=_("Blocks covered"),
        queryset=SkillBlock.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(label=_("End date"), required=False, widget=DateInput())
    hours = forms.IntegerField(label=_("Hours"), required=False, min_value=0)
    hourly_rate = forms.DecimalField(label=_("Hourly rate (€)"), required=False, **money_field)
    fixed_amount = forms.DecimalField(
        label=_("Fixed amount (€)"),
        required=False,
        help_text=_("Leave empty to request hours × hourly rate."),
        **money_field,
    )
    funder_reference = forms.CharField(label=_("Funder's file number"), required=False, max_length=64)
    cpf_file_number = forms.CharField(
        label=_("CPF file number"),
        required=False,
        min_length=13,
        max_length=13,
        validators=[cpf_file_number_validator],
        help_text=_("13 characters, from Mon Compte Formation (CPF requests only)."),
    )

    def __init__(self, *args, path, **kwargs):
        super().__init__(*args, **kwargs)
        self.path = path
        self.fields["blocks"].queryset = SkillBlock.objects.filter(version_id=path.version_id).order_by("order")
        choices = [("", "—")]
        employer = path.candidate.employer_name
        if employer:
            choices.append((EMPLOYER_CHOICE, _("The employer: %(name)s") % {"name": employer}))
        choices.append((SELF_CHOICE, _("The candidate (self-funding)")))
        for funder in Funder.objects.exclude(kind__in=[FunderKind.EMPLOYER, FunderKind.CANDIDATE]).order_by(
            "kind", "name"
        ):
            choices.append((str(funder.pk), f"{funder.name} ({funder.get_kind_display()})"))
        self.fields["funder"].choices = choices
        if path.start_date and not self.is_bound:
            self.initial.setdefault("start_date", path.start_date)


class ApproveForm(forms.Form):
    amount_approved = forms.DecimalField(
        label=_("Amount approved (€)"),
        required=False,
        help_text=_("Leave empty to approve the amount requested."),
        **money_field,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when approving less than requested."),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for refusing"), widget=forms.Textarea(attrs={"rows": 2}))


class InvoiceForm(forms.Form):
    amount_invoiced = forms.DecimalField(label=_("Amount invoiced (€)"), **money_field)
    invoice_reference = forms.CharField(label=_("Invoice number"), required=False, max_length=64)
    invoiced_on = forms.DateField(label=_("Invoice date"), required=False, widget=DateInput())


class PayForm(forms.Form):
    amount_paid = forms.DecimalField(label=_("Amount paid (€)"), **money_field)
    paid_on = forms.DateField(label=_("Payment date"), required=False, widget=DateInput())


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required once the request has reached the funder."),
    )


class SubmitForm(forms.Form):
    pass


TRANSITION_FORMS = {
    "submit": SubmitForm,
    "approve": ApproveForm,
    "refuse": RefuseForm,
    "invoice": InvoiceForm,
    "pay": PayForm,
    "cancel": CancelForm,
}


class ReportForm(forms.Form):
    group_by = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=[
            ("scheme", _("Scheme")),
            ("funder", _("Funder")),
            ("branch", _("Branch")),
            ("certification", _("Certification")),
            ("year", _("Year")),
        ],
    )
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All years")), *[(str(y), str(y)) for y in years]]
