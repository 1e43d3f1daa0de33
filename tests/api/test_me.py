"""GET /api/v1/me/: the caller's ids, roles with their scopes and the second factor of the
request; documented in the schema like every operation (issue 18, point 5)."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cqp_portal.accounts.models import TokenSecondFactor
from tests.api.test_schema_and_fuzz import generate_schema
from tests.factories.candidates import CandidateFactory

pytestmark = pytest.mark.django_db


def with_token(user, *, second_factor=False):
    token = Token.objects.create(user=user)
    if second_factor:
        TokenSecondFactor.objects.create(token=token)
    return APIClient(headers={"authorization": f"Token {token.key}", "accept-language": "fr"})


def test_anonymous_gets_401():
    assert APIClient().get("/api/v1/me/").status_code == 401


def test_a_branch_administrator_sees_the_branch_and_the_second_factor_of_the_token(settings, branch, branch_admin):
    settings.MFA_REQUIRED = True
    # Without the second factor the token itself is refused (api_auth): /me/ says nothing.
    assert with_token(branch_admin).get("/api/v1/me/").status_code == 401
    Token.objects.all().delete()
    response = with_token(branch_admin, second_factor=True).get("/api/v1/me/")
    assert response.status_code == 200, response.json()
    me = response.json()
    assert me["id"] == branch_admin.pk and me["email"] == branch_admin.email
    assert me["roles"] == [
        {
            "role": "branch_admin",
            "label": "Administrateur de branche",
            "branch": {"id": branch.pk, "name": branch.name, "idcc": branch.idcc},
            "training_provider": None,
            "funder": None,
        }
    ]
    assert me["second_factor"] == {"required": True, "enrolled": False, "verified": True}
    assert me["candidate_id"] is None and me["is_staff"] is False


def test_a_candidate_sees_its_candidate_id_and_no_second_factor(settings, candidate_user):
    settings.MFA_REQUIRED = True
    candidate = CandidateFactory(user=candidate_user, email=candidate_user.email)
    me = with_token(candidate_user).get("/api/v1/me/").json()
    assert me["candidate_id"] == candidate.pk
    assert [r["role"] for r in me["roles"]] == ["candidate"]
    assert me["second_factor"] == {"required": False, "enrolled": False, "verified": False}


def test_provider_and_funder_scopes(provider, provider_staff, funder, funder_officer):
    [role] = with_token(provider_staff).get("/api/v1/me/").json()["roles"]
    assert role["training_provider"] == {"id": provider.pk, "name": provider.name}
    assert role["branch"] is None and role["funder"] is None
    [role] = with_token(funder_officer).get("/api/v1/me/").json()["roles"]
    assert role["funder"] == {"id": funder.pk, "name": funder.name}


def test_a_verified_session_is_reported(client, settings, jury_member):
    settings.MFA_REQUIRED = False
    client.force_login(jury_member)
    me = client.get("/api/v1/me/").json()
    # django-otp's middleware marks a session verified only after the code: this one never gave it.
    assert me["second_factor"]["verified"] is False
    assert [r["role"] for r in me["roles"]] == ["jury_member"]


def test_me_is_documented_with_summary_tag_example_and_field_descriptions():
    schema = generate_schema()
    operation = schema["paths"]["/api/v1/me/"]["get"]
    assert operation["summary"] and operation["tags"] == ["account"]
    assert operation["operationId"] == "me_retrieve"
    content = operation["responses"]["200"]["content"]["application/json"]
    assert content["examples"]
    components = schema["components"]["schemas"]
    for name in ("Me", "Role", "Scope", "BranchScope", "SecondFactor"):
        for field, spec in components[name]["properties"].items():
            described = spec.get("description") or any(
                "description" in part for part in spec.get("allOf", []) + spec.get("oneOf", [])
            )
            assert described, f"{name}.{field} has no description"
