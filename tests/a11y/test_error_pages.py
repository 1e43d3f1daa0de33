"""With DEBUG off, 403, 404 and 500 are the portal's own pages: in French, in the site's style,
with a way back."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_errors(settings):
    settings.DEBUG = False


def assert_site_page(response, *, status: int, title: str):
    html = response.content.decode()
    assert response.status_code == status
    assert '<html lang="fr">' in html
    assert "portal.css" in html
    assert 'class="site-header"' in html and "Portail CQP" in html
    assert f"<h1>{title}</h1>" in html
    assert 'href="/"' in html


def test_404_page(client):
    response = client.get("/cette-page-n-existe-pas/")
    assert next(t.name for t in response.templates) == "404.html"
    assert_site_page(response, status=404, title="Page introuvable")
    assert "Cette page n'existe pas ou ne vous est pas accessible." in response.content.decode()


def test_403_page(client, candidate_user):
    client.force_login(candidate_user)
    response = client.get("/branche/")  # the branch workspace, not a candidate's
    assert next(t.name for t in response.templates) == "403.html"
    assert_site_page(response, status=403, title="Accès refusé")
    assert "Vous n'avez pas accès à cette page" in response.content.decode()


def test_500_page(settings):
    settings.ROOT_URLCONF = "tests.a11y.urls_error"
    response = Client(raise_request_exception=False).get("/test-erreur/")
    assert_site_page(response, status=500, title="Erreur du serveur")
    assert "Rien n'a été enregistré de votre dernière action" in response.content.decode()
