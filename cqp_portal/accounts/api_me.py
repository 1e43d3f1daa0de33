"""``GET /api/v1/me/``: who the caller is, for a client that must know its ids and scopes
before its first real request (issue 18, point 5)."""

from django_otp import user_has_device
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cqp_portal.accounts.mfa import mfa_required_for
from cqp_portal.accounts.models import PersonalAccessToken, Role


class ScopeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the organisation, as used in the other endpoints' filters.")
    name = serializers.CharField(help_text="Name of the organisation.")


class BranchScopeSerializer(ScopeSerializer):
    idcc = serializers.CharField(help_text="IDCC code of the branch's collective agreement (4 digits).")


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, help_text="The role held.")
    label = serializers.CharField(help_text="Name of the role, in the language of Accept-Language.")
    branch = BranchScopeSerializer(
        allow_null=True, help_text="The branch a branch administrator manages; null for the other roles."
    )
    training_provider = ScopeSerializer(
        allow_null=True, help_text="The training provider a provider staff member works for; null otherwise."
    )
    funder = ScopeSerializer(allow_null=True, help_text="The funder a funder officer works for; null otherwise.")


class SecondFactorSerializer(serializers.Serializer):
    required = serializers.BooleanField(
        help_text="Whether the caller's roles require the second factor (staff, branch administrators, jury members)."
    )
    enrolled = serializers.BooleanField(help_text="Whether an authenticator app is set up for the account.")
    verified = serializers.BooleanField(
        help_text="Whether the credentials of this request carry the second factor: a session that gave its "
        "code, a token obtained with a code, or a personal access token (made from such a session)."
    )


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the account.")
    email = serializers.EmailField(help_text="E-mail address, the login.")
    first_name = serializers.CharField(help_text="First name (may be empty).")
    last_name = serializers.CharField(help_text="Last name (may be empty).")
    language = serializers.CharField(help_text="Preferred language of the portal and the e-mails (fr or en).")
    is_staff = serializers.BooleanField(help_text="Staff of the portal: sees and does everything (not a role row).")
    candidate_id = serializers.IntegerField(
        allow_null=True, help_text="Id of the candidate record linked to the account (candidates only), else null."
    )
    roles = RoleSerializer(many=True, help_text="Every role held, with its scope.")
    second_factor = SecondFactorSerializer(help_text="State of the second factor for this account and request.")


def _verified(request) -> bool:
    auth = request.auth
    if isinstance(auth, PersonalAccessToken):
        return True
    if isinstance(auth, Token):
        return hasattr(auth, "second_factor")
    # A session: django-otp marks the user verified once the session gave its code.
    return bool(getattr(request.user, "is_verified", lambda: False)())


def _scope(obj, **extra):
    return None if obj is None else {"id": obj.pk, "name": obj.name, **extra}


EXAMPLE = {
    "id": 42,
    "email": "admin.hcr@example.org",
    "first_name": "Claire",
    "last_name": "Martin",
    "language": "fr",
    "is_staff": False,
    "candidate_id": None,
    "roles": [
        {
            "role": "branch_admin",
            "label": "Administrateur de branche",
            "branch": {"id": 1, "name": "Hôtels, cafés, restaurants", "idcc": "1979"},
            "training_provider": None,
            "funder": None,
        },
        {"role": "jury_member", "label": "Membre de jury", "branch": None, "training_provider": None, "funder": None},
    ],
    "second_factor": {"required": True, "enrolled": True, "verified": True},
}


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_retrieve",
        summary="The caller's account, roles and scopes",
        description="Who is calling: account id, e-mail, names, each role with its scope (branch, training "
        "provider, funder: ids to use in the other endpoints) and whether the credentials of this request "
        "carry the second factor.",
        tags=["account"],
        responses={200: MeSerializer},
        examples=[OpenApiExample("Branch administrator who also sits on juries", value=EXAMPLE, response_only=True)],
    )
    def get(self, request):
        user = request.user
        assignments = user.roles.select_related("branch", "training_provider", "funder").order_by("role", "pk")
        candidate = getattr(user, "candidate", None)
        body = {
            "id": user.pk,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
            "is_staff": user.is_staff,
            "candidate_id": candidate.pk if candidate is not None else None,
            "roles": [
                {
                    "role": a.role,
                    "label": str(a.get_role_display()),
                    "branch": _scope(a.branch, idcc=a.branch.idcc) if a.branch else None,
                    "training_provider": _scope(a.training_provider),
                    "funder": _scope(a.funder),
                }
                for a in assignments
            ],
            "second_factor": {
                "required": mfa_required_for(user),
                "enrolled": user_has_device(user, confirmed=True),
                "verified": _verified(request),
            },
        }
        return Response(MeSerializer(body).data)
