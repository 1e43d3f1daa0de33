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
        # Counted before the password is checked (atomic in the shared cache): a wrong
        # password keeps its count, a right one clears it.
        if email and not throttle.attempt(email, address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        cleaned = super().clean()
        if email:
            throttle.succeeded(email, address)
        return cleaned
