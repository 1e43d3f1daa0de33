from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from certifications.models import (
    AcquiredCriteriaRule,
    AppealPolicy,
    Certification,
    ModalityKind,
    SkillBlock,
    TrainingProvider,
)
from certifications.services import RULE_FIELDS


class RulesForm(forms.ModelForm):
    """The per-certification rules (settings, never constants in code)."""

    class Meta:
        model = Certification
        fields = list(RULE_FIELDS)
        widgets = {"appeal_policy": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Absent from a request that predates the setting: the current rule stays.
        self.fields["acquired_criteria_rule"].required = False

    def clean_acquired_criteria_rule(self):
        return self.cleaned_data.get("acquired_criteria_rule") or self.instance.acquired_criteria_rule

    def clean(self):
        data = super().clean()
        if data.get("appeal_policy") == AppealPolicy.REASONED:
            if not data.get("appeal_deadline_days"):
                self.add_error("appeal_deadline_days", _("A reasoned appeal needs a deadline in days."))
            if not data.get("appeal_body"):
                self.add_error("appeal_body", _("A reasoned appeal needs the body that hears it."))
        if data.get("acquired_criteria_rule") == AcquiredCriteriaRule.THRESHOLD and not data.get(
            "acquired_criteria_threshold"
        ):
            self.add_error(
                "acquired_criteria_threshold", _("The “share of the criteria” rule needs a percentage from 1 to 100.")
            )
        if (
            data.get("jury_employer_seats") is not None
            and data.get("jury_employee_seats") is not None
            and data["jury_employer_seats"] != data["jury_employee_seats"]
        ):
            self.add_error(
                "jury_employee_seats", _("A joint (paritaire) jury has as many employer seats as employee seats.")
            )
        return data


class BlockForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32, help_text=_("e.g. RNCP12345BC01, unique in the version"))
    title = forms.CharField(label=_("Title"), max_length=500)
    mandatory = forms.BooleanField(label=_("Mandatory block"), required=False, initial=True)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, version=None, block: SkillBlock | None = None, **kwargs):
        self.version, self.block = version, block
        super().__init__(*args, **kwargs)

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        clash = self.version.blocks.filter(code__iexact=code) if self.version else SkillBlock.objects.none()
        if self.block is not None:
            clash = clash.exclude(pk=self.block.pk)
        if clash.exists():
            raise forms.ValidationError(_("This code is already used by another block of this version."))
        return code


class TextItemForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ModalityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Modality"), choices=[("", "—"), *ModalityKind.choices], required=False)
    description = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("Activity"), max_length=500, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


TextItemFormSet = forms.formset_factory(TextItemForm, extra=2, can_order=True, can_delete=True)
ModalityFormSet = forms.formset_factory(ModalityForm, extra=1, can_delete=True)
ActivityFormSet = forms.formset_factory(ActivityForm, extra=2, can_order=True, can_delete=True)


def ordered_texts(formset, key="text") -> list:
    """Rows kept (not deleted, not blank), in the order asked for (ORDER field, else position)."""
    rows = []
    for position, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        value = data.get(key, "")
        if not str(value).strip():
            continue
        order = data.get("ORDER")
        rows.append((order if order is not None else position + 1000, position, data))
    return [data for _order, _pos, data in sorted(rows, key=lambda r: (r[0], r[1]))]


class HabilitationForm(forms.Form):
    holder = forms.ChoiceField(
        label=_("Habilitate"),
        choices=[("provider", _("a training provider")), ("evaluator", _("an evaluator"))],
        widget=forms.RadioSelect,
        initial="provider",
    )
    training_provider = forms.ModelChoiceField(
        label=_("Training provider"), queryset=TrainingProvider.objects.order_by("name"), required=False
    )
    evaluator_email = forms.EmailField(label=_("Evaluator's e-mail address"), required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        label=_("Valid until (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("holder") == "provider":
            if not data.get("training_provider"):
                self.add_error("training_provider", _("Choose the training provider."))
        elif data.get("holder") == "evaluator":
            email = (data.get("evaluator_email") or "").lower()
            user = get_user_model().objects.filter(email__iexact=email).first() if email else None
            if user is None:
                self.add_error("evaluator_email", _("No person with this e-mail address has an account."))
            data["evaluator"] = user
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            self.add_error("valid_until", _("The end date of a habilitation cannot be before its start date."))
        return data


class EndHabilitationForm(forms.Form):
    on_date = forms.DateField(label=_("Last valid day"), widget=forms.DateInput(attrs={"type": "date"}))


class EquivalenceForm(forms.Form):
    from_block = forms.ModelChoiceField(label=_("Block of this certification"), queryset=SkillBlock.objects.none())
    to_block = forms.ModelChoiceField(
        label=_("Equivalent block of another certification"), queryset=SkillBlock.objects.none()
    )
    bidirectional = forms.BooleanField(label=_("Valid in both directions"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, own_blocks, other_blocks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_block"].queryset = own_blocks
        self.fields["to_block"].queryset = other_blocks
        label = lambda b: f"{b.version.certification.code} · {b.code} {b.title}"  # noqa: E731
        self.fields["from_block"].label_from_instance = label
        self.fields["to_block"].label_from_instance = label


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("France compétences XML export"),
        help_text=_("The daily export of the national register (format v4.1, FICHES/FICHE)."),
    )
    only_cqp = forms.BooleanField(label=_("CQP and CQPI fiches only"), required=False, initial=True)
    dry_run = forms.BooleanField(label=_("Dry run (check without saving)"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        head = upload.read(200).lstrip()
        upload.seek(0)
        if not head.startswith(b"<"):
            raise forms.ValidationError(_("This file is not XML: choose the France compétences XML export."))
        return upload


NO_CORRESPONDENCE = "none"


class BlockMappingForm(forms.Form):
    """The publish screen: for each changed or removed block of the previous version, the
    block(s) of the new version it counts as, or "no correspondence" (certifications.version_mapping)."""

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        choices = [(str(b.pk), f"{b.code} — {b.title}") for b in plan.new_blocks]
        choices.append((NO_CORRESPONDENCE, _("No correspondence: holding this block grants nothing on this version")))
        for item in plan.to_declare:
            if item.change == "changed":
                help_text = _("Changed in this version (block %(code)s has the same code).") % {
                    "code": item.same_code.code
                }
            else:
                help_text = _("No block of this version has this code.")
            self.fields[self.field_name(item.block.pk)] = forms.MultipleChoiceField(
                label=f"{item.block.code} — {item.block.title}",
                help_text=help_text,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                error_messages={
                    "required": _(
                        "Declare the correspondence of block %(code)s: tick the block(s) of this version "
                        "it counts as, or “no correspondence”."
                    )
                    % {"code": item.block.code}
                },
            )

    @staticmethod
    def field_name(block_id: int) -> str:
        return f"block_{block_id}"

    def clean(self):
        data = super().clean()
        for item in self.plan.to_declare:
            name = self.field_name(item.block.pk)
            values = data.get(name) or []
            if NO_CORRESPONDENCE in values and len(values) > 1:
                self.add_error(name, _("Tick either blocks of this version or “no correspondence”, not both."))
        return data

    def declarations(self) -> dict[int, list[int]]:
        return {
            item.block.pk: [int(v) for v in self.cleaned_data[self.field_name(item.block.pk)] if v != NO_CORRESPONDENCE]
            for item in self.plan.to_declare
        }
