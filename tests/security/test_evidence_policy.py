"""Evidence (issue 16, point 6): one policy for the pages and the API, and the type checked
at upload is the one served, whatever the file's name."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from rest_framework.authtoken.models import Token

from candidates.models import Evidence
from tests.security.conftest import PDF

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def html_named_pdf(world):
    """A PDF whose name ends in .html (the type is checked by content at upload)."""
    evidence = Evidence(
        path=world.path_a,
        kind="attestation",
        original_name="poly.html",
        content_type="application/pdf",
        size=len(PDF),
        sha256="1" * 64,
        uploaded_by=world.users["candidate_a"],
    )
    evidence.file.save("poly.html", ContentFile(PDF), save=False)
    evidence.save()
    return evidence


def test_juries_get_the_type_checked_at_upload_not_one_from_the_name(client, world, html_named_pdf):
    client.force_login(world.users["jury_a"])
    url = reverse("juries:evidence_download", args=[world.session.pk, world.dossier.pk, html_named_pdf.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_candidate_route_serves_the_same_type(client, world, html_named_pdf):
    client.force_login(world.users["candidate_a"])
    response = client.get(reverse("candidates:evidence_download", args=[html_named_pdf.pk]))
    assert response["Content-Type"] == "application/pdf"


def api_get(client, user, url):
    return client.get(url, HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")


def test_funders_see_no_evidence_on_the_page_nor_through_the_api(client, world):
    funder = world.users["funder_officer"]
    # The funder does see the path it is asked to fund...
    assert api_get(client, funder, f"/api/v1/paths/{world.path_a.pk}/").status_code == 200
    # ...but not its documents, by either surface (404: existence not revealed).
    listing = api_get(client, funder, "/api/v1/evidence/")
    assert listing.status_code == 200 and listing.json()["count"] == 0
    assert "attestation.pdf" not in listing.content.decode()
    assert api_get(client, funder, f"/api/v1/evidence/{world.evidence.pk}/").status_code == 404
    client.force_login(funder)
    assert client.get(reverse("candidates:evidence_download", args=[world.evidence.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["candidate_a", "evaluator_a", "jury_a", "admin_a", "provider_staff", "staff"])
def test_the_people_who_examine_the_file_see_its_evidence_in_the_api(client, world, persona):
    listing = api_get(client, world.users[persona], "/api/v1/evidence/")
    assert world.evidence.pk in [row["id"] for row in listing.json()["results"]]


@pytest.mark.parametrize("persona", ["candidate_b", "other_evaluator", "other_jury", "other_admin"])
def test_outsiders_see_none(client, world, persona):
    listing = api_get(client, world.users[persona], "/api/v1/evidence/")
    assert world.evidence.pk not in [row["id"] for row in listing.json()["results"]]
