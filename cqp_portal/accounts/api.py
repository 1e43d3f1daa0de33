"""Token authentication for integrations: obtain with e-mail + password, revoke with DELETE."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from cqp_portal.accounts import throttle


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


TokenResponse = inline_serializer("TokenResponse", {"token": serializers.CharField()})


class TokenView(APIView):
    """``POST``: a token for the account (the same token until revoked). ``DELETE``: revoke it."""

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
        if throttle.is_throttled(email, address):
            return Response(
                {"code": "throttled", "message": str(_("Too many failed attempts. Wait 15 minutes.")), "fields": {}},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        user = authenticate(request, username=email, password=data.validated_data["password"])
        if user is None or not user.is_active:
            throttle.record_failure(email, address)
            raise serializers.ValidationError({"non_field_errors": [_("Wrong e-mail address or password.")]})
        throttle.clear_failures(email)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
