"""The second factor holds on the API too (issue 16, point 1), in the production profile
(MFA_REQUIRED on): a password-only session or token of a role that requires it reads and
writes nothing under /api/v1/; a token needs the authenticator code, or is a personal access
token made from a verified session. Candidates keep the password-only flow."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from candidates.models import PathState
from cqp_portal.accounts.models import PersonalAccessToken, TokenSecondFactor
from tests.factories.accounts import TEST_PASSWORD
from tests.factories.candidates import CandidateFactory, PathFactory

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def mfa_on(settings):
    settings.MFA_REQUIRED = True


def enrol(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def code(device) -> str:
    """A valid code now (django-otp refuses a code used twice in one time step: reset that)."""
    device.refresh_from_db()
    device.last_t = -1
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong(device) -> str:
    return "000000" if code(device) != "000000" else "111111"


def token_request(client, user, **extra):
    return client.post(
        "/api/v1/auth/token/",
        {"email": user.email, "password": TEST_PASSWORD, **extra},
        content_type="application/json",
    )


def assert_refused(response, status, code_):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"code", "message", "fields"} and body["code"] == code_, body
    return body


@pytest.mark.parametrize("persona", ["branch_admin", "jury_member", "staff_user"])
def test_a_password_only_session_reads_and_writes_nothing_through_the_api(client, request, persona):
    user = request.getfixturevalue(persona)
    device = enrol(user)
    assert client.post(reverse("login"), {"username": user.email, "password": TEST_PASSWORD}).status_code == 302
    body = assert_refused(client.get("/api/v1/paths/"), 401, "second_factor_required")
    assert "second" in body["message"] or "facteur" in body["message"]
    # A write (revoking a token, here) is refused before the view runs.
    assert_refused(client.delete("/api/v1/auth/token/"), 401, "second_factor_required")

    assert client.post(reverse("mfa_verify"), {"code": code(device), "next": "/"}).status_code == 302
    assert client.get("/api/v1/paths/").status_code == 200


def test_a_candidate_session_keeps_the_password_only_flow(client, candidate_user):
    assert client.post(reverse("login"), {"username": candidate_user.email, "password": TEST_PASSWORD}).status_code
    assert client.get("/api/v1/paths/").status_code == 200


def test_a_token_for_a_role_with_the_second_factor_needs_the_code(client, branch_admin):
    device = enrol(branch_admin)
    missing = assert_refused(token_request(client, branch_admin), 400, "second_factor_required")
    assert "otp" in missing["fields"]
    assert_refused(token_request(client, branch_admin, otp=wrong(device)), 400, "invalid")
    assert not Token.objects.filter(user=branch_admin).exists()

    ok = token_request(client, branch_admin, otp=code(device))
    assert ok.status_code == 200, ok.content
    key = ok.json()["token"]
    assert TokenSecondFactor.objects.filter(token_id=key).exists()
    assert client.get("/api/v1/paths/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_a_role_with_the_second_factor_but_not_enrolled_gets_no_token(client, jury_member):
    assert_refused(token_request(client, jury_member, otp="123456"), 403, "second_factor_not_enrolled")
    assert not Token.objects.exists()


def test_tokens_made_from_the_password_alone_stop_working_until_the_code_is_given(client, branch_admin):
    device = enrol(branch_admin)
    old = Token.objects.create(user=branch_admin).key  # before the rule: password only
    auth = {"HTTP_AUTHORIZATION": f"Token {old}"}
    body = assert_refused(client.get("/api/v1/paths/", **auth), 401, "second_factor_required")
    assert "otp" in body["message"]
    assert_refused(client.delete("/api/v1/auth/token/", **auth), 401, "second_factor_required")

    new = token_request(client, branch_admin, otp=code(device)).json()["token"]
    assert new != old and not Token.objects.filter(key=old).exists()  # never promoted: it may have leaked
    assert client.get("/api/v1/paths/", HTTP_AUTHORIZATION=f"Token {new}").status_code == 200


def test_candidates_still_get_a_token_with_the_password(client, candidate_user):
    response = token_request(client, candidate_user)
    assert response.status_code == 200
    assert client.get("/api/v1/paths/", HTTP_AUTHORIZATION=f"Token {response.json()['token']}").status_code == 200


def test_wrong_codes_count_as_failed_attempts(client, branch_admin):
    device = enrol(branch_admin)
    for _ in range(5):
        token_request(client, branch_admin, otp=wrong(device))
    assert_refused(token_request(client, branch_admin, otp=code(device)), 429, "throttled")


# --- personal access tokens -------------------------------------------------------------------


def verified_client(client, user):
    device = enrol(user)
    client.post(reverse("login"), {"username": user.email, "password": TEST_PASSWORD})
    assert client.post(reverse("mfa_verify"), {"code": code(device), "next": "/"}).status_code == 302
    return client


def test_the_token_page_is_behind_the_second_factor(client, branch_admin):
    enrol(branch_admin)
    client.post(reverse("login"), {"username": branch_admin.email, "password": TEST_PASSWORD})
    response = client.post(reverse("access_tokens"), {"name": "Export", "days": "30"})
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_verify"))
    assert not PersonalAccessToken.objects.exists()


def test_personal_access_token_made_revoked_and_expired(client, branch_admin, candidate_user):
    verified_client(client, branch_admin)
    page = client.post(reverse("access_tokens"), {"name": "Export RH", "days": "30"})
    assert page.status_code == 200
    token = PersonalAccessToken.objects.get(user=branch_admin)
    html = page.content.decode()
    key = html.split('<code class="token-key">')[1].split("</code>")[0]
    assert key.startswith("cqp_") and token.digest != key and key not in str(token.__dict__)
    assert "Export RH" in html and "Révoquer" in html
    assert token.expires_at.date() == (timezone.now() + datetime.timedelta(days=30)).date()
    # Shown once: the list shows only its start.
    assert key not in client.get(reverse("access_tokens")).content.decode()

    anonymous = type(client)()
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert anonymous.get("/api/v1/paths/", **auth).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    # Someone else cannot revoke it (404), its owner can.
    other = type(client)()
    other.force_login(candidate_user)
    assert other.post(reverse("access_token_revoke", args=[token.pk])).status_code == 404
    assert client.post(reverse("access_token_revoke", args=[token.pk])).status_code == 302
    assert_refused(anonymous.get("/api/v1/paths/", **auth), 401, "token_expired")

    second = client.post(reverse("access_tokens"), {"name": "Autre", "days": "90"}).content.decode()
    key2 = second.split('<code class="token-key">')[1].split("</code>")[0]
    PersonalAccessToken.objects.filter(name="Autre").update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert_refused(anonymous.get("/api/v1/paths/", HTTP_AUTHORIZATION=f"Token {key2}"), 401, "token_expired")
    assert "Expiré" in client.get(reverse("access_tokens")).content.decode()


def test_delete_with_a_personal_token_revokes_that_token_only(client, evaluator):
    client.force_login(evaluator)
    page = client.post(reverse("access_tokens"), {"name": "Script", "days": "90"}).content.decode()
    key = page.split('<code class="token-key">')[1].split("</code>")[0]
    integration = Token.objects.create(user=evaluator)
    anonymous = type(client)()
    assert anonymous.delete("/api/v1/auth/token/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 204
    assert PersonalAccessToken.objects.get(user=evaluator).revoked_at is not None
    assert Token.objects.filter(pk=integration.pk).exists()


def test_an_unknown_personal_token_is_refused(client):
    assert_refused(
        client.get("/api/v1/paths/", HTTP_AUTHORIZATION="Token cqp_not-a-token"), 401, "authentication_failed"
    )


def test_a_password_only_session_cannot_make_the_api_write(client, branch_admin, branch):
    """The reported attack: a write through the session cookie without the code changes nothing."""
    enrol(branch_admin)
    from tests.factories.certifications import CertificationFactory, published_version

    certification = CertificationFactory(branches=[branch])
    path = PathFactory(
        version=published_version(certification, blocks=1), candidate=CandidateFactory(), state=PathState.REGISTERED
    )
    client.post(reverse("login"), {"username": branch_admin.email, "password": TEST_PASSWORD})
    response = client.post(f"/api/v1/paths/{path.pk}/transitions/withdraw/", {}, content_type="application/json")
    assert_refused(response, 401, "second_factor_required")
    path.refresh_from_db()
    assert path.state == PathState.REGISTERED
