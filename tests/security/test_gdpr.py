"""GDPR: download of one's data, anonymisation by staff, retention periods."""

import datetime
import io
import json
import zipfile

import pytest
from django.conf import settings
from django.utils import timezone

from candidates import gdpr
from candidates.models import Candidate, Evidence, ExperienceRecord, PathState
from cqp_portal.audit.models import AuditEntry
from tests.security.conftest import A_BIRTH_NAME, A_EMAIL, PDF

pytestmark = [pytest.mark.django_db]


def open_zip(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_candidate_downloads_all_their_data_as_a_zip(client, world, candidate_user):
    client.force_login(candidate_user)
    page = client.get("/parcours/")
    assert "Télécharger mes données (zip)" in page.content.decode()
    archive = open_zip(client.get("/parcours/mes-donnees.zip"))
    data = json.loads(archive.read("donnees.json"))
    assert data["account"]["email"] == A_EMAIL
    assert data["identity"]["birth_name"] == A_BIRTH_NAME
    assert data["identity"]["birth_date"] == "1987-03-14"
    assert {p["id"] for p in data["paths"]} >= {world.path_a.pk}
    assert len(data["positionings"]) >= 3
    assert [a["id"] for a in data["assessments"]] == [world.assessment.pk]
    assert [f["id"] for f in data["funding_lines"]] == [world.funding_line.pk]
    assert [d["id"] for d in data["decisions"]] == [world.final_decision.pk]  # final ones only
    if world.certificate is not None:
        assert [c["number"] for c in data["certificates"]] == [world.certificate.number]
    assert any(e["action"] == "certificate.create" for e in data["audit"]) or world.certificate is None
    assert archive.read(f"pieces/{world.evidence.pk}-attestation.pdf") == PDF
    # Nobody else's data.
    assert world.candidate_b.email not in archive.read("donnees.json").decode()
    assert AuditEntry.objects.for_object(world.candidate_a).filter(action="candidate.export_data").count() == 1


@pytest.mark.parametrize("persona", ["evaluator", "branch_admin", "staff_user"])
def test_only_candidates_download_their_own_data(client, world, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/parcours/mes-donnees.zip").status_code in (403, 404)


def test_staff_anonymise_a_candidate_the_register_and_verification_stay(
    client, world, staff_user, candidate_user, django_capture_on_commit_callbacks
):
    evidence_path = world.evidence.file.path
    client.force_login(staff_user)
    detail = client.get(f"/dossiers/{world.path_a.pk}/").content.decode()
    assert "Anonymiser le candidat" in detail
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/candidats/{world.candidate_a.pk}/anonymiser/",
            {"confirm": "yes", "reason": "Demande d'effacement", "next": f"/dossiers/{world.path_a.pk}/"},
        )
    assert response.status_code == 302
    candidate = Candidate.objects.get(pk=world.candidate_a.pk)
    assert candidate.anonymised_at is not None
    assert candidate.birth_name == "Anonyme" and candidate.birth_date is None and candidate.email == ""
    assert A_BIRTH_NAME not in candidate.display_name
    assert not Evidence.objects.filter(path__candidate=candidate).exists()
    import os

    assert not os.path.exists(evidence_path)
    candidate_user.refresh_from_db()
    assert not candidate_user.is_active and candidate_user.email != A_EMAIL
    assert not candidate_user.has_usable_password()
    assert not client.login(email=A_EMAIL, password="password-for-tests")
    # Paths and decisions stay as anonymous facts; the VAE experience (employers, places) goes.
    assert candidate.paths.count() == 3
    assert not ExperienceRecord.objects.filter(path__candidate=candidate).exists()
    entry = AuditEntry.objects.for_object(candidate).get(action="candidate.anonymise")
    assert entry.actor == staff_user and entry.note == "Demande d'effacement"
    if world.certificate is not None:
        # The register keeps the certificate as awarded; the public verification still answers.
        certificate = type(world.certificate).objects.get(pk=world.certificate.pk)
        assert certificate.number == world.certificate.number
        assert certificate.holder_birth_name == A_BIRTH_NAME
        client.logout()
        verify = client.get(f"/verify/{certificate.verification_code}/")
        assert verify.status_code == 200
        assert certificate.number in verify.content.decode()


def test_anonymisation_needs_the_confirmation_box(client, world, staff_user):
    client.force_login(staff_user)
    client.post(f"/candidats/{world.candidate_a.pk}/anonymiser/", {"reason": "x"})
    assert Candidate.objects.get(pk=world.candidate_a.pk).anonymised_at is None


@pytest.mark.parametrize("persona", ["candidate_user", "branch_admin", "provider_staff", "evaluator"])
def test_nobody_but_staff_anonymises(client, world, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(f"/candidats/{world.candidate_a.pk}/anonymiser/", {"confirm": "yes"})
    assert response.status_code in (302, 403, 404)
    candidate = Candidate.objects.get(pk=world.candidate_a.pk)
    assert candidate.anonymised_at is None and candidate.birth_name == A_BIRTH_NAME
    assert Evidence.objects.filter(pk=world.evidence.pk).exists()


# --- retention ---------------------------------------------------------------------------------


def test_the_retention_task_is_scheduled_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["gdpr-apply-retention"]
    assert entry["task"] == "security.apply_retention"
    assert entry["schedule"].hour == {3}
    from cqp_portal.celery import app
    from cqp_portal.security import tasks  # what the worker's autodiscovery imports

    assert tasks.apply_retention.name in app.tasks


def test_evidence_of_a_final_path_is_erased_after_its_retention_period(
    world, settings, django_capture_on_commit_callbacks
):
    settings.EVIDENCE_RETENTION_DAYS = 30
    path = world.path_a
    type(path).objects.filter(pk=path.pk).update(state=PathState.AWARDED)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert gdpr.apply_retention(now=now)["evidence_erased"] == 0  # final, but only just
    with django_capture_on_commit_callbacks(execute=True):
        result = gdpr.apply_retention(now=now + datetime.timedelta(days=31))
    assert result["evidence_erased"] == 1
    assert not Evidence.objects.filter(path=path).exists()


def test_evidence_of_an_open_path_is_kept(world, settings):
    settings.EVIDENCE_RETENTION_DAYS = 1
    result = gdpr.apply_retention(now=timezone.now() + datetime.timedelta(days=400))
    assert result["evidence_erased"] == 0
    assert Evidence.objects.filter(pk=world.evidence.pk).exists()


def test_inactive_candidates_are_anonymised_active_ones_kept(world, settings):
    settings.INACTIVE_CANDIDATE_RETENTION_DAYS = 365
    later = timezone.now() + datetime.timedelta(days=366)
    b = world.candidate_b
    b.paths.update(state=PathState.WITHDRAWN)
    result = gdpr.apply_retention(now=later)
    assert result["candidates_anonymised"] == 1
    assert Candidate.objects.get(pk=b.pk).anonymised_at is not None
    # A still has an open path: kept.
    assert Candidate.objects.get(pk=world.candidate_a.pk).anonymised_at is None
    assert gdpr.apply_retention(now=later)["candidates_anonymised"] == 0  # idempotent
