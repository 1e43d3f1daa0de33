"""Media in the S3 bucket (MEDIA_STORAGE=s3) on a real S3 protocol server (moto, started by
`make test`): evidence upload and permission-checked download, certificate PDFs rendered by a
real Celery worker, the CDC export, the register upload, GDPR erasure and the copy of local media."""

import hashlib
import io
import os
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from pypdf import PdfReader

from candidates.models import Evidence, PathState
from juries.certificates import cdc, services
from juries.certificates.models import CdcExport, Certificate, CertificateState
from tests.factories.candidates import CandidateFactory, PathFactory
from tests.factories.certificates import award_setup, cdc_account, closed_session, final_decision
from tests.factories.certifications import published_version

pytestmark = [pytest.mark.django_db]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SAMPLE_REGISTER = (
    Path(__file__).resolve().parents[2] / "certifications" / "fixtures" / "france-competences-rs-v4.1-sample.xml"
)


def assert_private(bucket, key: str) -> None:
    """No grant to everyone or to any authenticated AWS user: only the owner reads it."""
    public = [g for g in bucket.grants(key) if "URI" in g.get("Grantee", {})]
    assert public == [], public


@pytest.fixture
def in_course_path(branch, candidate_user):
    from tests.factories.certifications import CertificationFactory

    version = published_version(CertificationFactory(branches=[branch]), blocks=2)
    return PathFactory(version=version, candidate=CandidateFactory(user=candidate_user), state=PathState.IN_COURSE)


def test_evidence_is_uploaded_to_the_bucket_and_downloaded_only_through_the_permission_check(
    s3_media, client, in_course_path, candidate_user, other_candidate_user, settings
):
    client.force_login(candidate_user)
    upload = ContentFile(PDF, name="diplome.pdf")
    response = client.post(f"/parcours/{in_course_path.pk}/pieces/", {"file": upload, "kind": "attestation"})
    assert response.status_code == 302, response.content[:500]
    evidence = Evidence.objects.get(path=in_course_path)
    assert s3_media.objects() == {evidence.file.name}
    assert s3_media.read(evidence.file.name) == PDF
    assert_private(s3_media, evidence.file.name)
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.pdf")), "nothing is written on the local disk"
    # No link to the bucket is ever handed out (a presigned URL would bypass the policy).
    assert evidence.file.url.startswith("/media/") and "Signature" not in evidence.file.url

    download = client.get(f"/pieces/{evidence.pk}/")
    assert download.status_code == 200
    assert download.streaming and b"".join(download.streaming_content) == PDF
    assert download["Content-Length"] == str(len(PDF))
    assert "diplome.pdf" in download["Content-Disposition"]

    client.force_login(other_candidate_user)
    assert client.get(f"/pieces/{evidence.pk}/").status_code == 404


def test_a_row_whose_object_is_missing_answers_404_not_500(s3_media, client, in_course_path, candidate_user):
    from candidates import services as candidate_services

    evidence = candidate_services.evidence_upload(
        path=in_course_path, by=candidate_user, uploaded_file=ContentFile(PDF, name="a.pdf"), kind="attestation"
    )
    s3_media.client.delete_object(Bucket=s3_media.name, Key=evidence.file.name)
    client.force_login(candidate_user)
    assert client.get(f"/pieces/{evidence.pk}/").status_code == 404


def test_gdpr_erasure_deletes_the_objects_from_the_bucket(
    s3_media, in_course_path, candidate_user, staff_user, django_capture_on_commit_callbacks
):
    from candidates import gdpr
    from candidates import services as candidate_services

    for name in ("a.pdf", "b.pdf"):
        candidate_services.evidence_upload(
            path=in_course_path, by=candidate_user, uploaded_file=ContentFile(PDF, name=name), kind="attestation"
        )
    assert len(s3_media.objects()) == 2
    with django_capture_on_commit_callbacks(execute=True):
        gdpr.candidate_anonymise(candidate=in_course_path.candidate, by=staff_user, reason="Demande d'effacement")
    assert s3_media.objects() == set()
    assert not Evidence.objects.filter(path=in_course_path).exists()


def test_the_cdc_export_is_written_to_the_bucket_and_served_to_the_branch_administrator(
    s3_media, branch, branch_admin, other_branch_admin, client, tmp_path, django_capture_on_commit_callbacks
):
    certification, version = award_setup(branch)
    cdc_account(certification)
    session = closed_session(certification)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            services.certificate_issue_for_decision(decision=final_decision(session, version=version))
    result = cdc.cdc_export()
    [export] = result.exports
    assert export.file.name in s3_media.objects()
    stored = s3_media.read(export.file.name)
    assert cdc.validation_errors(stored) == []
    assert_private(s3_media, export.file.name)

    client.force_login(branch_admin)
    response = client.get(f"/certificats/cdc/{export.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == stored
    client.force_login(other_branch_admin)
    assert client.get(f"/certificats/cdc/{export.pk}/").status_code == 404

    # The command copies the stored flux out of the bucket to the file asked for.
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_issue_for_decision(decision=final_decision(session, version=version))
    call_command("export_cdc", "--output", str(tmp_path / "flux.xml"), stdout=io.StringIO())
    newest = s3_media.read(CdcExport.objects.latest("pk").file.name)
    assert (tmp_path / "flux.xml").read_bytes() == newest


def test_the_register_upload_is_stored_in_the_bucket_and_imported_from_it(
    s3_media, client, branch_admin, django_capture_on_commit_callbacks
):
    client.force_login(branch_admin)
    with SAMPLE_REGISTER.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        response = client.post("/branche/import/", {"file": handle})
    assert response.status_code == 302, response.content[:800]
    from certifications.models import ImportJob, ImportState

    job = ImportJob.objects.get()
    assert job.file.name in s3_media.objects()
    assert s3_media.read(job.file.name) == SAMPLE_REGISTER.read_bytes()
    job.refresh_from_db()
    assert job.state == ImportState.DONE, job.message  # tasks run in-process here: read back from the bucket
    assert job.created > 0


def test_copy_media_to_bucket_copies_local_files_under_their_names_and_is_resumable(
    bucket, settings, in_course_path, candidate_user, tmp_path
):
    from candidates import services as candidate_services

    settings.MEDIA_ROOT = tmp_path / "media"
    # What MEDIA_STORAGE=s3 reads from the environment (settings.py), as on a server being moved.
    settings.AWS_S3_ENDPOINT_URL = os.environ["AWS_S3_ENDPOINT_URL"]
    settings.AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]
    settings.AWS_SECRET_ACCESS_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]
    settings.AWS_S3_REGION_NAME = os.environ["AWS_S3_REGION_NAME"]
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    evidence = candidate_services.evidence_upload(
        path=in_course_path, by=candidate_user, uploaded_file=ContentFile(PDF, name="a.pdf"), kind="attestation"
    )
    (tmp_path / "media" / "stray").mkdir()
    (tmp_path / "media" / "stray" / "note.txt").write_bytes(b"not referenced")
    out = io.StringIO()
    call_command("copy_media_to_bucket", "--source", str(tmp_path / "media"), "--bucket", bucket.name, stdout=out)
    assert bucket.objects() == {evidence.file.name, "stray/note.txt"}
    assert bucket.read(evidence.file.name) == PDF
    assert "copied 2" in out.getvalue() and "missing from the bucket: 0" in out.getvalue(), out.getvalue()
    again = io.StringIO()
    call_command("copy_media_to_bucket", "--source", str(tmp_path / "media"), "--bucket", bucket.name, stdout=again)
    assert "copied 0, already there 2" in again.getvalue()


# --- PDFs rendered by a real Celery worker writing to the bucket ---------------------------------


@pytest.fixture
def s3_certificate_workers(tmp_path, s3_media, django_db_blocker):
    from cqp_portal.celery import app
    from tests.certificates.conftest import WorkerPool, _rebuild_router

    pool = WorkerPool(tmp_path / "unused-local-media")
    pool.env.update(s3_media.env())
    previous = app.conf.task_routes
    app.conf.task_routes = {"certificates.render": {"queue": pool.queue}}
    _rebuild_router(app)
    yield pool
    app.conf.task_routes = previous
    _rebuild_router(app)
    pool.stop()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_certificate_pdfs_rendered_by_a_worker_land_in_the_bucket_and_download_for_the_holder(
    s3_certificate_workers, s3_media, branch, client, candidate_user, other_candidate_user
):
    certification, version = award_setup(branch)
    session = closed_session(certification)
    holder = CandidateFactory(user=candidate_user)
    decisions = [final_decision(session, version=version, candidate=holder)]
    decisions += [final_decision(session, version=version) for _ in range(2)]
    s3_certificate_workers.start(concurrency=1)
    services.certificates_issue_for_session(session=session)
    deadline = time.monotonic() + 120
    while Certificate.objects.filter(state=CertificateState.ISSUED).count() < 3:
        assert time.monotonic() < deadline, "the worker did not issue the certificates"
        time.sleep(0.3)
    certificates = list(Certificate.objects.all())
    assert s3_media.objects() == {c.pdf.name for c in certificates}
    for certificate in certificates:
        content = s3_media.read(certificate.pdf.name)
        assert hashlib.sha256(content).hexdigest() == certificate.sha256
        assert certificate.number in PdfReader(io.BytesIO(content)).pages[0].extract_text()
        assert_private(s3_media, certificate.pdf.name)
    mine = Certificate.objects.get(path__candidate=holder)
    client.force_login(candidate_user)
    response = client.get(f"/certificats/{mine.pk}/pdf/")
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == mine.sha256
    client.force_login(other_candidate_user)
    assert client.get(f"/certificats/{mine.pk}/pdf/").status_code == 404


def test_healthz_checks_the_bucket(s3_media, client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["storage"] == "ok"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": "no-such-bucket"},
        },
    }
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["storage"] == "error"
    assert time.monotonic() - started < 5
