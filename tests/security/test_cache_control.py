"""Nothing with personal data is cacheable (issue 16, point 5): every page seen by a logged-in
person, every API answer and every file download says ``Cache-Control: no-store``."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

pytestmark = [pytest.mark.django_db]


def assert_no_store(response):
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private", "no-cache"} <= directives, (response.status_code, response.get("Cache-Control"))


def test_logged_in_pages_are_not_stored(client, world):
    client.force_login(world.users["candidate_a"])
    assert_no_store(client.get(reverse("candidates:my_paths")))
    assert_no_store(client.get(reverse("candidates:path_detail", args=[world.path_a.pk])))
    client.force_login(world.users["admin_a"])
    assert_no_store(client.get(reverse("certifications:workspace")))


def test_file_downloads_are_not_stored(client, world):
    client.force_login(world.users["candidate_a"])
    response = client.get(reverse("candidates:evidence_download", args=[world.evidence.pk]))
    assert response.status_code == 200
    assert_no_store(response)
    client.force_login(world.users["jury_a"])
    response = client.get(
        reverse("juries:evidence_download", args=[world.session.pk, world.dossier.pk, world.evidence.pk])
    )
    assert response.status_code == 200
    assert_no_store(response)


@pytest.mark.parametrize("persona", ["candidate_a", "evaluator_a", "funder_officer"])
def test_api_answers_are_not_stored_with_a_token_or_a_session(client, world, persona):
    user = world.users[persona]
    token = Token.objects.create(user=user).key
    assert_no_store(client.get("/api/v1/paths/", HTTP_AUTHORIZATION=f"Token {token}"))
    assert_no_store(client.get("/api/v1/paths/999999/", HTTP_AUTHORIZATION=f"Token {token}"))  # errors too
    client.force_login(user)
    assert_no_store(client.get("/api/v1/paths/"))


def test_anonymous_api_errors_are_not_stored_either(client):
    assert_no_store(client.get("/api/v1/paths/"))
