"""A provider enrolling a candidate without naming its training provider gets a 400 that names
the field, not a bare 403; nothing is written (issue 18, point 5)."""

import pytest
from rest_framework.test import APIClient

from candidates.models import Path
from certifications.models import TrainingProvider
from tests.factories.candidates import CandidateFactory

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient(headers={"accept-language": "fr"})
    client.force_authenticate(user)
    return client


def test_a_provider_without_its_provider_field_gets_a_field_error(
    certification, version, provider, provider_staff, habilitated
):
    candidate = CandidateFactory(created_by=provider_staff)
    body = {"candidate": candidate.pk, "certification": certification.pk, "access_route": "continuing"}
    refused = api(provider_staff).post("/api/v1/paths/", body, format="json")
    assert refused.status_code == 400, refused.json()
    error = refused.json()
    assert error["code"] == "required"
    assert list(error["fields"]) == ["training_provider"]
    assert "organisme de formation" in error["fields"]["training_provider"][0]
    assert not Path.objects.exists()
    created = api(provider_staff).post("/api/v1/paths/", {**body, "training_provider": provider.pk}, format="json")
    assert created.status_code == 201, created.json()
    assert Path.objects.get().training_provider == provider


def test_a_provider_naming_another_provider_is_still_refused(certification, version, provider_staff, habilitated):
    other_provider = TrainingProvider.objects.create(name="Un autre organisme")
    candidate = CandidateFactory(created_by=provider_staff)
    body = {
        "candidate": candidate.pk,
        "certification": certification.pk,
        "access_route": "continuing",
        "training_provider": other_provider.pk,
    }
    refused = api(provider_staff).post("/api/v1/paths/", body, format="json")
    assert refused.status_code in (400, 403)
    assert not Path.objects.exists()
