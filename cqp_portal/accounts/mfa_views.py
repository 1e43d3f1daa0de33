import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp import login as otp_login

from cqp_portal.accounts.mfa import new_recovery_codes, pending_totp_device
from cqp_portal.audit.services import audit_record


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The 6-digit code shown by your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def __init__(self, *args, devices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.devices = list(devices)
        self.device = None

    def clean_code(self):
        code = self.cleaned_data["code"].strip().replace(" ", "")
        allowed = [device for device in self.devices if device.verify_is_allowed()[0]]
        if not allowed:
            # django-otp doubles the wait after each failure: brute force is slowed down.
            raise forms.ValidationError(_("Too many wrong codes: wait a few seconds, then try again."))
        for device in allowed:
            if device.verify_token(code):
                self.device = device
                return code
        raise forms.ValidationError(_("This code is not valid. Check the time on your phone and try again."))


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else "/"


@login_required
def verify(request):
    devices = list(devices_for_user(request.user, confirmed=True))
    if not devices:
        return redirect("mfa_setup")
    form = CodeForm(request.POST or None, devices=devices)
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.device)
        return redirect(_next_url(request))
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next_url(request)})


@login_required
def setup(request):
    if list(devices_for_user(request.user, confirmed=True)):
        return redirect("mfa_verify")
    device = pending_totp_device(request.user)
    form = CodeForm(request.POST or None, devices=[device])
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        codes = new_recovery_codes(request.user)
        audit_record(subject=request.user, action="mfa_enrolled", by=request.user)
        return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes, "next": _next_url(request)})
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, title=str(_("QR code to scan")))
    secret = device.config_url.split("secret=")[1].split("&")[0]
    return render(
        request,
        "accounts/mfa_setup.html",
        {"form": form, "qr_svg": mark_safe(qr_svg), "secret": secret, "next": _next_url(request)},  # noqa: S308 (segno output)
    )
