"""Token authentication for integrations: obtain with e-mail + password (+ the authenticator
code for the roles that require the second factor), revoke with DELETE."""

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import match_token, user_has_device
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from cqp_portal.accounts import throttle
from cqp_portal.accounts.mfa import mfa_required_for
from cqp_portal.accounts.models import PersonalAccessToken, TokenSecondFactor
from cqp_portal.audit.services import audit_record


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False,
        max_length=16,
        help_text="Code of the authenticator app (or a recovery code): required for staff, branch "
        "administrators and jury members when the second factor is on.",
    )


TokenResponse = inline_serializer("TokenResponse", {"token": serializers.CharField()})


def _error(code: str, message, status_code: int, fields: dict | None = None) -> Response:
    return Response({"code": code, "message": str(message), "fields": fields or {}}, status=status_code)


class TokenView(APIView):
    """``POST``: a token for the account (the same token until revoked). ``DELETE``: revoke the
    token used (an integration token, or the personal access token sent)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else [AllowAny()]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponse}, auth=[])
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"]
        address = throttle.client_address(request)
        if not throttle.attempt(email, address):
            return _error("throttled", _("Too many failed attempts. Wait 15 minutes."), 429)
        user = authenticate(request, username=email, password=data.validated_data["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError({"non_field_errors": [_("Wrong e-mail address or password.")]})
        second_factor = mfa_required_for(user)
        if second_factor:
            refused = self._check_code(user, data.validated_data.get("otp", ""))
            if refused is not None:
                return refused
        throttle.succeeded(email, address)
        with transaction.atomic():
            token, _created = Token.objects.select_related("second_factor").get_or_create(user=user)
            if second_factor and not hasattr(token, "second_factor"):
                # A token made from the password alone may have leaked: never promote it.
                token.delete()
                token = Token.objects.create(user=user)
                TokenSecondFactor.objects.create(token=token)
                audit_record(subject=user, action="api_token_issued_with_second_factor", by=user)
        return Response({"token": token.key})

    @staticmethod
    def _check_code(user, code: str):
        """None when the code is right; else the refusal (a wrong code keeps its attempt counted)."""
        if not user_has_device(user, confirmed=True):
            return _error(
                "second_factor_not_enrolled",
                _("Set up the second factor first: log in to the portal, which will guide you."),
                403,
            )
        if not code:
            message = _("Enter the code of your authenticator app (field “otp”).")
            return _error("second_factor_required", message, 400, {"otp": [str(message)]})
        if match_token(user, code.strip().replace(" ", "")) is None:
            message = _("This code is not valid. Check the time on your phone and try again.")
            return _error("invalid", message, 400, {"otp": [str(message)]})
        return None

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if isinstance(request.auth, PersonalAccessToken):
            PersonalAccessToken.objects.filter(pk=request.auth.pk).update(revoked_at=timezone.now())
        else:
            Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
