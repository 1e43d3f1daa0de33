"""Two people doing the same transition at once, and the checks on evidence files."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.utils import translation

from candidates import services
from candidates.models import Evidence, Path, PathState
from cqp_portal.errors import Conflict, NotAllowed, RuleViolation

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4c20000000049454e44ae426082"
)


@pytest.mark.django_db(transaction=True)
def test_the_same_transition_twice_at_once_one_wins_the_other_gets_a_conflict(make_path, evaluator):
    assert connection.vendor == "postgresql"
    path_id = make_path(PathState.REGISTERED).pk
    barrier = threading.Barrier(2)
    results = []

    def attempt():
        try:
            mine = Path.objects.get(pk=path_id)  # both read "registered"
            barrier.wait(timeout=10)
            services.path_start_positioning(path=mine, by=evaluator)
            results.append("ok")
        except Conflict as exc:
            results.append(("conflict", str(exc.message)))
        except Exception as exc:
            results.append(("error", repr(exc)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2
    assert results.count("ok") == 1
    conflict = next(r for r in results if r != "ok")
    assert conflict[0] == "conflict", conflict
    path = Path.objects.get(pk=path_id)
    assert path.state == PathState.POSITIONING
    assert path.path_blocks.count() == 3


@pytest.mark.django_db
def test_a_stale_copy_gets_a_conflict_not_a_second_transition(make_path, evaluator):
    path = make_path(PathState.REGISTERED)
    stale = Path.objects.get(pk=path.pk)
    services.path_start_positioning(path=path, by=evaluator)
    with translation.override("en"), pytest.raises(Conflict, match="has just moved to “Positioning”"):
        services.path_start_positioning(path=stale, by=evaluator)


# --- evidence -------------------------------------------------------------------------------


@pytest.fixture
def open_path(make_path):
    return make_path(PathState.IN_COURSE, plan="to_train")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "mime"), [("cv.pdf", PDF, "application/pdf"), ("photo.png", PNG, "image/png")]
)
def test_pdf_and_png_are_accepted_and_stored_under_media_root(open_path, candidate_user, settings, name, content, mime):
    evidence = services.evidence_upload(
        path=open_path, by=candidate_user, uploaded_file=SimpleUploadedFile(name, content), kind="attestation"
    )
    assert evidence.content_type == mime
    assert evidence.original_name == name
    assert evidence.file.path.startswith(str(settings.MEDIA_ROOT))
    assert name not in evidence.file.name  # stored under a random name
    assert str(settings.STATIC_ROOT) not in evidence.file.path


@pytest.mark.django_db
def test_a_text_file_named_pdf_is_refused(open_path, candidate_user):
    with translation.override("en"), pytest.raises(RuleViolation, match="Only PDF, JPEG and PNG"):
        services.evidence_upload(
            path=open_path,
            by=candidate_user,
            uploaded_file=SimpleUploadedFile("dossier.pdf", b"just text" * 50),
            kind="vae_dossier",
        )
    assert not Evidence.objects.exists()


@pytest.mark.django_db
def test_an_oversize_file_is_refused(open_path, candidate_user, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    with translation.override("en"), pytest.raises(RuleViolation, match="too large"):
        services.evidence_upload(
            path=open_path,
            by=candidate_user,
            uploaded_file=SimpleUploadedFile("big.pdf", PDF + b"0" * 2000),
            kind="attestation",
        )
    assert not Evidence.objects.exists()


@pytest.mark.django_db
def test_an_outsider_may_not_upload(open_path, other_candidate_user):
    with pytest.raises(NotAllowed):
        services.evidence_upload(
            path=open_path, by=other_candidate_user, uploaded_file=SimpleUploadedFile("a.pdf", PDF), kind="other"
        )


@pytest.mark.django_db
def test_download_only_for_people_who_see_the_path(
    open_path, candidate_user, evaluator, other_candidate_user, other_evaluator, other_branch_admin
):
    evidence = services.evidence_upload(
        path=open_path, by=candidate_user, uploaded_file=SimpleUploadedFile("cv.pdf", PDF), kind="attestation"
    )
    url = f"/pieces/{evidence.pk}/"
    for allowed in (candidate_user, evaluator):
        client = Client()
        client.force_login(allowed)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content) == PDF
    for outsider in (other_candidate_user, other_evaluator, other_branch_admin):
        client = Client()
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # anonymous: to the login page
