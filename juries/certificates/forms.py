from django import forms
from django.utils.translation import gettext_lazy as _


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revocation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Shown on the public verification page."),
    )


class BulkRevokeForm(RevokeForm):
    certificates = forms.TypedMultipleChoiceField(label=_("Certificates"), coerce=int, choices=())

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certificates"].choices = choices


class ReissueForm(forms.Form):
    reason = forms.CharField(
        label=_("What was corrected"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_(
            "The current certificate is revoked with this reason and a new one, with a new number, replaces it."
        ),
    )


class CdcExportForm(forms.Form):
    certification = forms.ChoiceField(label=_("Certification"), required=False)
    since = forms.DateField(label=_("Awarded since"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, certifications=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certification"].choices = [("", _("All my certifications"))] + [
            (c.code, c.title) for c in certifications
        ]


class CdcReportForm(forms.Form):
    file = forms.FileField(
        label=_("CDC processing report (XML)"),
        help_text=_("The “rapport” file the Caisse des Dépôts returns after a deposit."),
    )
