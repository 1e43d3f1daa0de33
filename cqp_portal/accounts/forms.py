from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from cqp_portal.accounts import throttle


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": _("Wrong e-mail address or password."),
        "inactive": _("This account is inactive."),
        "throttled": _("Too many failed attempts. Wait 15 minutes, or reset your password."),
    }

    def clean(self):
        email = self.cleaned_data.get("username") or ""
        address = throttle.client_address(self.request)
        if email and throttle.is_throttled(email, address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if email and getattr(error, "code", None) == "invalid_login":
                throttle.record_failure(email, address)
            raise
        throttle.clear_failures(email)
        return cleaned
