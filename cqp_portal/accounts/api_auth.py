"""API authentication that honours the second factor (README, "Security").

For the roles that require it (``mfa.mfa_required_for``):
- a session cookie is accepted by ``/api/v1/`` only once the session gave its code, exactly
  as the pages require it;
- an integration token (``Authorization: Token <key>``) is accepted only if it was obtained
  with a code (``TokenSecondFactor``); older tokens answer 401 ``second_factor_required``;
- personal access tokens (``cqp_…`` keys) are made from a verified web session, so they carry
  the second factor by construction; they expire and can be revoked.
Candidates, evaluators, training-provider and funder staff keep the password-only flow.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from cqp_portal.accounts.mfa import mfa_required_for
from cqp_portal.accounts.models import PersonalAccessToken

PERSONAL_TOKEN_PREFIX = "cqp_"  # noqa: S105 (a marker, not a secret)
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class SecondFactorRequired(exceptions.AuthenticationFailed):
    default_code = "second_factor_required"
    default_detail = _(
        "Your role requires the second factor: get a token with your authenticator code "
        "(field “otp”), or create a personal access token from the portal."
    )


def digest(key: str) -> str:
    # The key is 256 random bits: a plain SHA-256 is enough to keep it secret at rest.
    return hashlib.sha256(key.encode()).hexdigest()


def new_personal_token(*, user, name: str, days: int) -> tuple[PersonalAccessToken, str]:
    """Create a personal access token; the clear key is returned once and never stored."""
    key = PERSONAL_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PersonalAccessToken.objects.create(
        user=user,
        name=name,
        prefix=key[:12],
        digest=digest(key),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, key


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        if key.startswith(PERSONAL_TOKEN_PREFIX):
            return self._personal(key)
        try:
            token = Token.objects.select_related("user", "second_factor").get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if mfa_required_for(user) and not hasattr(token, "second_factor"):
            raise SecondFactorRequired()
        return user, token

    def _personal(self, key):
        token = PersonalAccessToken.objects.select_related("user").filter(digest=digest(key)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.is_active:
            raise exceptions.AuthenticationFailed(_("This token has expired or was revoked."), code="token_expired")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class SessionAuthentication(authentication.SessionAuthentication):
    """The portal's session, with the same second-factor rule as the pages."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if mfa_required_for(user) and not (hasattr(user, "is_verified") and user.is_verified()):
            raise SecondFactorRequired(
                _("Your session has not given its second factor yet: enter your code in the portal first.")
            )
        return result


class SessionScheme(OpenApiAuthenticationExtension):
    """The OpenAPI description of the session cookie (the same as DRF's own)."""

    target_class = "cqp_portal.accounts.api_auth.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
