"""Error paths (issue 16, point 7): a refused CSRF check shows the portal's French page (the
API answers in its JSON shape); the OpenAPI schema and docs are public on purpose."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = [pytest.mark.django_db]


def test_csrf_failure_is_the_portals_french_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "a@example.org", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="fr">' in html and "Formulaire expiré" in html and "Rechargez la page" in html
    assert "CSRF verification failed" not in html and "Forbidden" not in html


def test_csrf_failure_of_a_logged_in_form_keeps_the_portal_layout(candidate_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(candidate_user)
    response = client.post(reverse("logout"))
    assert response.status_code == 403 and "Formulaire expiré" in response.content.decode()
    assert 'id="main"' in response.content.decode()


def test_the_schema_and_docs_are_public_and_carry_no_data(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"openapi" in schema.content
    assert client.get("/api/docs/").status_code == 200
