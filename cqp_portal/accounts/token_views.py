"""Personal access tokens: made from the (second-factor verified) web session, named, with an
expiry, listed and revoked on one page. The key is shown once, right after creation."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cqp_portal.accounts.api_auth import new_personal_token
from cqp_portal.accounts.models import PersonalAccessToken
from cqp_portal.audit.services import audit_record

EXPIRY_CHOICES = [(30, _("30 days")), (90, _("90 days")), (365, _("1 year"))]
MAX_ACTIVE_TOKENS = 20


class PersonalTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “Export to our HR software”.")
    )
    days = forms.TypedChoiceField(label=_("Valid for"), choices=EXPIRY_CHOICES, coerce=int, initial=90)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        active = PersonalAccessToken.objects.filter(
            user=self.user, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).count()
        if active >= MAX_ACTIVE_TOKENS:
            raise forms.ValidationError(_("You already have 20 active tokens: revoke one first."))
        return cleaned


@login_required
def access_tokens(request):
    form = PersonalTokenForm(request.POST or None, user=request.user)
    new_key = None
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            token, new_key = new_personal_token(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
            audit_record(subject=token, action="personal_token_created", by=request.user)
        form = PersonalTokenForm(user=request.user)
    tokens = PersonalAccessToken.objects.filter(user=request.user)
    return render(
        request,
        "accounts/access_tokens.html",
        {"form": form, "tokens": tokens, "new_key": new_key, "now": timezone.now()},
    )


@login_required
@require_POST
def revoke_access_token(request, pk):
    token = get_object_or_404(PersonalAccessToken, pk=pk, user=request.user)
    if token.revoked_at is None:
        with transaction.atomic():
            PersonalAccessToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
            audit_record(subject=token, action="personal_token_revoked", by=request.user)
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("access_tokens")
