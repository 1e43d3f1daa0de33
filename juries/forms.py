from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from candidates.models import Candidate
from certifications.models import Certification
from cqp_portal.accounts.models import Role, User
from juries.models import College, LinkKind


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    certifications = forms.ModelMultipleChoiceField(
        label=_("Certifications covered"), queryset=Certification.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    date = forms.DateField(label=_("Date"), widget=DateInput(), help_text=_("Today or a later date."))
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    video_link = forms.URLField(label=_("Video link"), required=False, assume_scheme="https")

    def __init__(self, *args, certifications=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certifications"].queryset = (
            certifications if certifications is not None else Certification.objects.all()
        )
        # The browser offers no past day; the service refuses one anyway.
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean(self):
        data = super().clean()
        if not (data.get("place") or data.get("video_link")):
            raise forms.ValidationError(_("Give the place of the session or its video link."))
        return data


class MemberForm(forms.Form):
    email = forms.EmailField(label=_("E-mail of the jury member"))
    college = forms.ChoiceField(label=_("College"), choices=College.choices)
    is_president = forms.BooleanField(label=_("President of the jury"), required=False)

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        user = User.objects.filter(email__iexact=email, roles__role=Role.JURY_MEMBER).first()
        if user is None:
            raise forms.ValidationError(_("No person with the jury member role has this e-mail address."))
        self.cleaned_data["user"] = user
        return email


class DossierForm(forms.Form):
    path = forms.ModelChoiceField(label=_("Path ready for jury"), queryset=None)

    def __init__(self, *args, paths, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["path"].queryset = paths
        self.fields["path"].label_from_instance = lambda p: f"{p.candidate.display_name} — {p.certification}"


class LinkForm(forms.Form):
    candidate = forms.ModelChoiceField(label=_("Candidate"), queryset=Candidate.objects.none())
    kind = forms.ChoiceField(label=_("Link"), choices=LinkKind.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].queryset = candidates


BLOCK_CHOICES = [("1", _("Validated")), ("0", _("Not validated"))]


class BlockDecisionsForm(forms.Form):
    """A full set of block decisions (correction, upheld appeal), prefilled with ``decision``."""

    def __init__(self, *args, decision, **kwargs):
        super().__init__(*args, **kwargs)
        self.block_fields = []
        for bd in decision.block_decisions.all():
            if bd.held:
                continue
            name = f"block_{bd.block_id}"
            self.fields[name] = forms.ChoiceField(
                label=f"{bd.block.code} {bd.block.title}",
                choices=BLOCK_CHOICES,
                initial="1" if bd.validated else "0",
                widget=forms.RadioSelect,
            )
            self.block_fields.append(name)

    def blocks(self) -> dict[int, bool]:
        return {int(name.removeprefix("block_")): self.cleaned_data[name] == "1" for name in self.block_fields}


class CorrectionForm(BlockDecisionsForm):
    reason = forms.CharField(label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 3}))


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("Reasons of your appeal"), widget=forms.Textarea(attrs={"rows": 5}))


class AppealDecisionForm(BlockDecisionsForm):
    upheld = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("1", _("Uphold the appeal (new decision below)")), ("0", _("Reject the appeal"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Reasons of the answer"), widget=forms.Textarea(attrs={"rows": 3}))
