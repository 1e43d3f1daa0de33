"""Two-factor authentication (TOTP + recovery codes, django-otp) for the roles that decide
or administer: staff, branch administrators and jury members (OWASP ASVS 6.4).

Required when ``settings.MFA_REQUIRED`` (on by default in production). After the password,
these people enrol an authenticator app once (QR code), then give a code at each login; ten
single-use recovery codes are shown once at enrolment.
"""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqp_portal.accounts.models import Role

MFA_ROLES = {Role.BRANCH_ADMIN, Role.JURY_MEMBER}
RECOVERY_CODES = 10
EXEMPT_PREFIXES = ("/static/", "/i18n/", "/healthz", "/livez", "/deconnexion/", "/connexion/2fa/", "/api/")


def mfa_required_for(user) -> bool:
    if not (settings.MFA_REQUIRED and user.is_authenticated):
        return False
    return user.is_staff or bool(MFA_ROLES & user.role_set)


def pending_totp_device(user) -> TOTPDevice:
    """The unconfirmed device being enrolled (one per user, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Application d'authentification", confirmed=False)


def new_recovery_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Codes de secours")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


class MFAEnforcementMiddleware:
    """Until the second factor is given, a person who needs it reaches only the 2FA pages.

    The API is exempt here: its authentication classes (cqp_portal.accounts.api_auth) apply
    the same rule to sessions and tokens and answer 401 in the API's error shape.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and mfa_required_for(user)
            and not user.is_verified()
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            target = "mfa_verify" if user_has_device(user) else "mfa_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)
