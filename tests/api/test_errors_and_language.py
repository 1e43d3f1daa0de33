"""One error body for every 4xx: ``{"code", "message", "fields"}``, with the message in the
language of Accept-Language (French by default, English on request)."""

import pytest
from django.core.cache import cache

from juries.models import JurySession, SessionState
from tests.api.conftest import api

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    return body


def test_400_validation_lists_the_fields(candidate_user):
    body = assert_error_shape(api(candidate_user).post("/api/v1/paths/", {}, format="json"), 400, "invalid")
    assert {"candidate", "certification", "access_route"} <= set(body["fields"])


def test_400_malformed_json(candidate_user):
    response = api(candidate_user).post("/api/v1/paths/", "{not json", content_type="application/json")
    assert_error_shape(response, 400, "parse_error")


def test_400_rule_violation_names_the_rule(world, branch_admin):
    url = f"/api/v1/paths/{world.path.pk}/transitions/return_to_evaluation/"
    response = api(branch_admin).post(url, {"note": " "}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "reason_required" and "note" in response.json()["fields"]
    assert set(response.json()) >= {"code", "message", "fields"}


def test_409_a_step_the_state_does_not_allow(world, evaluator):
    """Not possible from the path's state (here, already in evaluation): the conflict every
    object answers, raced or not (issue 16)."""
    response = api(evaluator).post(f"/api/v1/paths/{world.path.pk}/transitions/start_positioning/", {}, format="json")
    assert_error_shape(response, 409, "conflict")
    assert "évaluation" in response.json()["message"].lower()


def test_401_anonymous():
    response = api().get("/api/v1/paths/")
    assert_error_shape(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_401_bad_token():
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error_shape(client.get("/api/v1/paths/"), 401, "authentication_failed")


def test_403_visible_but_not_allowed(world, candidate_user):
    response = api(candidate_user).post(f"/api/v1/paths/{world.path.pk}/transitions/submit_to_jury/", {}, format="json")
    assert_error_shape(response, 403, "permission_denied")


def test_404_outside_scope_unknown_id_url_and_transition(world, other_candidate_user, candidate_user):
    assert_error_shape(api(other_candidate_user).get(f"/api/v1/paths/{world.path.pk}/"), 404, "not_found")
    assert_error_shape(api(candidate_user).get("/api/v1/paths/987654/"), 404, "not_found")
    assert_error_shape(api(candidate_user).get("/api/v1/paths/not-a-number/"), 404, "not_found")
    assert_error_shape(api(candidate_user).get("/api/v1/no-such-thing/"), 404, "not_found")
    response = api(candidate_user).post(f"/api/v1/paths/{world.path.pk}/transitions/award/", {}, format="json")
    assert_error_shape(response, 404, "unknown_transition")


def test_405_method_not_allowed(world, staff_user):
    response = api(staff_user).put(f"/api/v1/paths/{world.path.pk}/", {"state": "awarded"}, format="json")
    assert_error_shape(response, 405, "method_not_allowed")
    world.path.refresh_from_db()
    assert world.path.state == "in_evaluation"


def test_409_stale_row_version(world, jury_member):
    JurySession.objects.filter(pk=world.session.pk).update(state=SessionState.DELIBERATING)
    response = api(jury_member).patch(
        f"/api/v1/jury-decisions/{world.decision.pk}/", {"row_version": 99, "reasons": "x"}, format="json"
    )
    assert_error_shape(response, 409, "conflict")
    world.decision.refresh_from_db()
    assert world.decision.reasons == ""


def test_429_login_throttled(candidate_user):
    cache.clear()
    client = api()
    statuses = [
        client.post("/api/v1/auth/token/", {"email": candidate_user.email, "password": "wrong"}, format="json")
        for _ in range(12)
    ]
    assert statuses[0].status_code == 400
    assert_error_shape(statuses[-1], 429, "throttled")


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Vous n'êtes pas autorisé à faire cela."),
        ("en", "You are not allowed to do this."),
        ("fr-FR,fr;q=0.9,en;q=0.5", "Vous n'êtes pas autorisé à faire cela."),
        ("en-GB,en;q=0.9", "You are not allowed to do this."),
    ],
)
def test_messages_follow_accept_language(world, candidate_user, language, message):
    response = api(candidate_user, language).post(
        f"/api/v1/paths/{world.path.pk}/transitions/submit_to_jury/", {}, format="json"
    )
    assert response.json()["message"] == message
    assert response["Content-Language"] == language[:2]


@pytest.mark.parametrize(
    ("language", "message"), [("fr", "Transition inconnue : award."), ("en", "Unknown transition: award.")]
)
def test_the_unknown_transition_message_is_translated(world, candidate_user, language, message):
    response = api(candidate_user, language).post(f"/api/v1/paths/{world.path.pk}/transitions/award/")
    assert response.json()["message"] == message


@pytest.mark.parametrize("language", ["fr", "en"])
def test_validation_messages_are_translated_too(candidate_user, language):
    body = api(candidate_user, language).post("/api/v1/paths/", {}, format="json").json()
    expected = {"fr": "Ce champ est obligatoire.", "en": "This field is required."}[language]
    assert body["fields"]["access_route"] == [expected]
