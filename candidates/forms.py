from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from candidates.identity import IDENTITY_FIELDS
from candidates.models import (
    AccessRoute,
    AssessmentOutcome,
    BirthPlaceCodeKind,
    BlockPlan,
    Candidate,
    CandidateStatus,
    EvidenceKind,
    ExperienceRecord,
    SelfAssessmentLevel,
    Sex,
)
from certifications.models import Certification, ReferentialState, TrainingProvider
from cqp_portal.accounts.models import Role, User

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_rule_violation(form, exc) -> None:
    """Show a service's refusal on the field it names (or on top of the form)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


class CandidateForm(forms.ModelForm):
    class Meta:
        model = Candidate
        fields = [
            *IDENTITY_FIELDS,
            "email",
            "phone",
            "status",
            "employer_name",
        ]
        widgets = {"birth_date": DATE_INPUT}

    # Radio buttons: the person typing the code says which one it is (never guessed).
    birth_place_code_kind = forms.ChoiceField(
        label=_("This code is"), choices=BirthPlaceCodeKind.choices, required=False, widget=forms.RadioSelect
    )

    def clean_birth_place_code(self):
        return self.cleaned_data["birth_place_code"].strip().upper()

    def clean_birth_country(self):
        return self.cleaned_data["birth_country"].strip().upper()


class SignUpForm(CandidateForm):
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password (again)"), widget=forms.PasswordInput, strip=False)

    class Meta(CandidateForm.Meta):
        fields = [f for f in CandidateForm.Meta.fields if f != "email"]

    field_order = ["email", "password1", "password2"]

    email = forms.EmailField(label=_("E-mail address"))

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account already exists with this e-mail address."))
        return email

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password1"):
            try:
                validate_password(data["password1"], User(email=data.get("email", "")))
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


def enrolable_certifications():
    return (
        Certification.objects.filter(versions__state=ReferentialState.PUBLISHED)
        .exclude(kind="EXTERNAL")
        .distinct()
        .order_by("title")
    )


class EnrolForm(forms.Form):
    certification = forms.ModelChoiceField(label=_("Certification"), queryset=Certification.objects.none())
    access_route = forms.ChoiceField(label=_("Access route"), choices=AccessRoute.choices)
    start_date = forms.DateField(label=_("Start date"), widget=DATE_INPUT, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certification"].queryset = enrolable_certifications()
        self.fields["start_date"].initial = timezone.localdate()


class PathCreateForm(EnrolForm):
    candidate = forms.ModelChoiceField(label=_("Candidate"), queryset=Candidate.objects.none())
    training_provider = forms.ModelChoiceField(
        label=_("Training provider"), queryset=TrainingProvider.objects.none(), required=False
    )
    evaluator = forms.ModelChoiceField(label=_("Evaluator"), queryset=User.objects.none(), required=False)

    field_order = ["candidate", "certification", "access_route", "start_date", "training_provider", "evaluator"]

    def __init__(self, *args, candidates, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].queryset = candidates
        self.fields["training_provider"].queryset = providers
        self.fields["evaluator"].queryset = User.objects.filter(roles__role=Role.EVALUATOR).distinct()


class AssignForm(forms.Form):
    evaluator = forms.ModelChoiceField(label=_("Evaluator"), queryset=User.objects.none(), required=False)
    workplace_tutor = forms.ModelChoiceField(label=_("Workplace tutor"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        evaluators = User.objects.filter(roles__role=Role.EVALUATOR).distinct()
        self.fields["evaluator"].queryset = evaluators
        self.fields["workplace_tutor"].queryset = evaluators


class PositioningForm(forms.Form):
    """One plan and planned hours per block of the path."""

    def __init__(self, *args, rows, trainers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        self.trainer_users = {str(u.pk): u for u in trainers}
        trainer_choices = [("", "—"), *((key, str(u)) for key, u in self.trainer_users.items())]
        for row in self.rows:
            self.fields[f"plan_{row.block_id}"] = forms.ChoiceField(
                label=f"{row.block.code} {row.block.title}", choices=BlockPlan.choices, initial=row.plan
            )
            self.fields[f"hours_{row.block_id}"] = forms.IntegerField(
                label=_("Planned hours for %(code)s") % {"code": row.block.code},
                min_value=0,
                max_value=2000,
                initial=row.planned_hours,
                required=False,
            )
            # Recorded so that, where the certification forbids it, the trainer does not assess the block.
            self.fields[f"trainer_{row.block_id}"] = forms.ChoiceField(
                label=_("Trainer for %(code)s") % {"code": row.block.code},
                choices=trainer_choices,
                initial=str(row.trainer_id or ""),
                required=False,
            )

    def pairs(self):
        return [
            (self[f"plan_{row.block_id}"], self[f"hours_{row.block_id}"], self[f"trainer_{row.block_id}"])
            for row in self.rows
        ]

    def plans(self):
        return {row.block_id: self.cleaned_data[f"plan_{row.block_id}"] for row in self.rows}

    def hours(self):
        return {row.block_id: self.cleaned_data.get(f"hours_{row.block_id}") or 0 for row in self.rows}

    def trainers(self):
        return {
            row.block_id: self.trainer_users.get(self.cleaned_data.get(f"trainer_{row.block_id}") or "")
            for row in self.rows
        }


def possible_trainers(path):
    """Evaluators, and the staff of the path's training provider."""
    from django.db.models import Q

    q = Q(roles__role=Role.EVALUATOR)
    if path.training_provider_id:
        q |= Q(roles__role=Role.PROVIDER_STAFF, roles__training_provider=path.training_provider_id)
    return list(User.objects.filter(q).distinct().order_by("last_name", "first_name", "pk"))


class SelfAssessmentForm(forms.Form):
    def __init__(self, *args, rows, existing, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = []
        for row in rows:
            names = []
            for competency in row.block.competencies.all():
                name = f"competency_{competency.pk}"
                self.fields[name] = forms.ChoiceField(
                    label=competency.text,
                    choices=SelfAssessmentLevel.choices,
                    widget=forms.RadioSelect,
                    initial=existing.get(competency.pk),
                    required=False,
                )
                names.append(name)
            self.groups.append((row, [self[n] for n in names]))

    def levels(self):
        return {
            int(name.split("_", 1)[1]): value
            for name, value in self.cleaned_data.items()
            if name.startswith("competency_") and value
        }


class AssessmentForm(forms.Form):
    modality = forms.ChoiceField(label=_("Modality"))
    assessed_on = forms.DateField(label=_("Assessment date"), widget=DATE_INPUT)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=AssessmentOutcome.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    evidence_file = forms.FileField(
        label=_("Attached evidence (PDF, JPEG or PNG)"), required=False, widget=forms.ClearableFileInput
    )
    correction_reason = forms.CharField(
        label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, block, correcting=False, certification=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.block = block
        if certification is not None:
            self.fields["outcome"].help_text = criteria_rule_help(certification)
        self.fields["modality"].choices = [(m.pk, m.get_kind_display()) for m in block.modalities.all()]
        self.fields["assessed_on"].initial = timezone.localdate()
        self.criteria = list(block.criteria.all())
        for criterion in self.criteria:
            self.fields[f"criterion_{criterion.pk}"] = forms.BooleanField(label=criterion.text, required=False)
        if correcting:
            self.fields["correction_reason"].required = True
        else:
            del self.fields["correction_reason"]

    def criterion_fields(self):
        return [self[f"criterion_{c.pk}"] for c in self.criteria]

    def criterion_results(self):
        return {c.pk: bool(self.cleaned_data.get(f"criterion_{c.pk}")) for c in self.criteria}


def criteria_rule_help(certification) -> str:
    """The référentiel's rule for an "acquired" block, as the evaluator reads it on the form."""
    from certifications.models import AcquiredCriteriaRule

    rule = certification.acquired_criteria_rule
    if rule == AcquiredCriteriaRule.ALL_CRITERIA:
        return str(_("“Acquired” requires every criterion to be met."))
    if rule == AcquiredCriteriaRule.THRESHOLD:
        return str(
            _("“Acquired” requires at least %(percent)s %% of the criteria to be met.")
            % {"percent": certification.acquired_criteria_threshold}
        )
    return str(_("“Acquired” with criteria not met: explain why in the comment."))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Document (PDF, JPEG or PNG)"))
    kind = forms.ChoiceField(label=_("Kind of document"), choices=EvidenceKind.choices)


class CsvImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file (UTF-8, separated by semicolons or commas)"))


CSV_COLUMNS = [
    *IDENTITY_FIELDS,
    "email",
    "phone",
    "status",
    "employer_name",
]
CSV_HELP = {
    "sex": [s.value for s in Sex],
    "status": [s.value for s in CandidateStatus],
    "birth_place_code_kind": [k.value for k in BirthPlaceCodeKind],
}


class CourseStartForm(forms.Form):
    """The course: a habilitated provider on the dates, or VAE support (the service checks)."""

    training_provider = forms.ModelChoiceField(
        label=_("Training provider"), queryset=TrainingProvider.objects.none(), required=False
    )
    start_date = forms.DateField(label=_("Start"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("End"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    vae_support = forms.BooleanField(label=_("VAE support"), required=False)

    def __init__(self, *args, path, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["training_provider"].queryset = TrainingProvider.objects.filter(
            habilitations__certification=path.certification
        ).distinct()
        self.initial.setdefault("training_provider", path.training_provider_id)
        self.initial.setdefault("vae_support", path.is_vae)


class CourseProgressForm(forms.Form):
    """Hours completed per block being trained."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = [row for row in rows if row.plan == BlockPlan.TO_TRAIN]
        for row in self.rows:
            self.fields[f"hours_{row.block_id}"] = forms.IntegerField(
                label=_("%(code)s: hours completed (of %(planned)s planned)")
                % {"code": row.block.code, "planned": row.planned_hours},
                min_value=0,
                initial=row.completed_hours,
            )

    def completed_hours(self) -> dict[int, int]:
        return {row.block_id: self.cleaned_data[f"hours_{row.block_id}"] for row in self.rows}


class ExperienceForm(forms.ModelForm):
    """One experience put forward for VAE admissibility (the service checks the rules again)."""

    class Meta:
        model = ExperienceRecord
        fields = [
            "activity",
            "status",
            "employer",
            "start_date",
            "end_date",
            "duration_hours",
            "blocks",
            "description",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "blocks": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "employer": _("Required for salaried employment; for other statuses, the organisation if any."),
            "duration_hours": _("Total time spent on this activity (e.g. 1,600 hours for a year full time)."),
        }

    def __init__(self, *args, path, **kwargs):
        super().__init__(*args, **kwargs)
        blocks = path.version.blocks.order_by("order", "pk")
        if path.vae_target_block_id:
            blocks = blocks.filter(pk=path.vae_target_block_id)
        self.fields["blocks"].queryset = blocks
        self.fields["blocks"].label_from_instance = lambda block: f"{block.code} {block.title}"
        self.fields["duration_hours"].min_value = 1
        self.fields["duration_hours"].widget.attrs["min"] = 1
        self.fields["duration_hours"].validators.append(MinValueValidator(1))

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date is before the start date."))
        return data


class AdmissibilityRequestForm(forms.Form):
    # The request is a declaration by the candidate (the sworn statement of the livret 1).
    confirm = forms.BooleanField(
        label=_("I certify that the information given about my experience is accurate."), required=True
    )
