"""VAE admissibility (domain.md, VAE; issue 15.3): a request needs related, documented
experience; the branch answers within 2 calendar months; it is reminded before the deadline;
after it, the certifier's silence makes the request admissible, recorded and told."""

import datetime
import json

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from candidates import services, tasks
from candidates.models import AccessRoute, ExperienceRecord, Path, PathState, add_months
from candidates.services import admissibility
from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import RuleViolation
from tests.factories.candidates import MINIMAL_PDF, ExperienceRecordFactory, vae_file
from tests.factories.certifications import CertificationFactory, published_version

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def vae_path(make_path):
    return make_path(PathState.REGISTERED, access_route=AccessRoute.VAE)


def pending(make_path, requested_on, **kwargs):
    """A VAE request sent on ``requested_on``, waiting for the branch."""
    return make_path(
        PathState.ADMISSIBILITY, access_route=AccessRoute.VAE, admissibility_requested_on=requested_on, **kwargs
    )


def requested_days_before_deadline(days_left: int) -> datetime.date:
    """The request date whose deadline is ``days_left`` days from today."""
    day = TODAY() - datetime.timedelta(days=40)
    while add_months(day, 2) > TODAY() + datetime.timedelta(days=days_left):
        day -= datetime.timedelta(days=1)
    while add_months(day, 2) < TODAY() + datetime.timedelta(days=days_left):
        day += datetime.timedelta(days=1)
    assert add_months(day, 2) == TODAY() + datetime.timedelta(days=days_left)
    return day


# --- the request ---------------------------------------------------------------------------------


def test_a_request_without_experience_nor_document_is_refused_and_changes_nothing(vae_path, candidate_user):
    before = (Path.objects.filter(pk=vae_path.pk).values().get(), AuditEntry.objects.count())
    with translation.override("en"), pytest.raises(RuleViolation, match="at least one experience") as refused:
        services.path_request_admissibility(path=vae_path, by=candidate_user)
    assert (refused.value.code, refused.value.field) == ("admissibility_incomplete", "experience_records")
    assert len(refused.value.details) == 2  # the document is missing too
    assert (Path.objects.filter(pk=vae_path.pk).values().get(), AuditEntry.objects.count()) == before


def test_a_request_with_experience_but_no_document_is_refused(vae_path, candidate_user):
    ExperienceRecordFactory(path=vae_path)
    with translation.override("en"), pytest.raises(RuleViolation, match="supporting document") as refused:
        services.path_request_admissibility(path=vae_path, by=candidate_user)
    assert refused.value.field == "evidence"
    assert Path.objects.get(pk=vae_path.pk).state == PathState.REGISTERED


def test_a_complete_request_starts_the_clock(vae_path, candidate_user):
    vae_file(vae_path, candidate_user)
    path = services.path_request_admissibility(path=vae_path, by=candidate_user)
    assert path.state == PathState.ADMISSIBILITY
    assert path.admissibility_requested_on == TODAY()
    assert path.admissibility_deadline == add_months(TODAY(), 2)


@pytest.mark.parametrize(
    ("requested", "deadline"),
    [
        (datetime.date(2026, 3, 15), datetime.date(2026, 5, 15)),
        (datetime.date(2025, 12, 31), datetime.date(2026, 2, 28)),
        (datetime.date(2027, 12, 31), datetime.date(2028, 2, 29)),  # leap year
        (datetime.date(2026, 8, 31), datetime.date(2026, 10, 31)),
        (datetime.date(2026, 7, 31), datetime.date(2026, 9, 30)),
    ],
)
def test_the_deadline_is_two_calendar_months_after_the_request(requested, deadline):
    assert Path(admissibility_requested_on=requested).admissibility_deadline == deadline


def test_the_request_page_shows_each_missing_piece_on_its_section(vae_path, candidate_user):
    client = client_for(candidate_user)
    url = reverse("candidates:experience", args=[vae_path.pk])
    assert client.get(url).status_code == 200
    response = client.post(reverse("candidates:admissibility_request", args=[vae_path.pk]), {"confirm": "on"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="experience_records_error"' in page and 'id="evidence_error"' in page
    assert "Décrivez au moins une expérience" in page
    assert "Ajoutez au moins une pièce justificative" in page
    assert Path.objects.get(pk=vae_path.pk).state == PathState.REGISTERED


def test_the_candidate_builds_the_file_and_sends_the_request_from_the_page(vae_path, candidate_user, version):
    client = client_for(candidate_user)
    url = reverse("candidates:experience", args=[vae_path.pk])
    blocks = list(version.blocks.all())
    # Field-level refusals, in French, nothing written.
    response = client.post(
        url,
        {
            "activity": "Serveur",
            "status": "employee",
            "employer": "",
            "start_date": "2022-05-01",
            "end_date": "2021-05-01",
            "duration_hours": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"end_date", "duration_hours", "blocks"}
    assert not ExperienceRecord.objects.exists()
    data = {
        "activity": "Serveur",
        "status": "employee",
        "employer": "",
        "start_date": "2021-05-01",
        "end_date": "2023-04-30",
        "duration_hours": "3200",
        "blocks": [blocks[0].pk, blocks[1].pk],
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Indiquez le nom de l'employeur" in response.context["form"].errors["employer"][0]
    data["employer"] = "Brasserie du Port"
    assert client.post(url, data).status_code == 302
    record = ExperienceRecord.objects.get()
    assert set(record.blocks.all()) == {blocks[0], blocks[1]}
    upload = client.post(
        reverse("candidates:evidence_upload", args=[vae_path.pk]),
        {"prefix": "doc", "doc-file": SimpleUploadedFile("attestation.pdf", MINIMAL_PDF), "doc-kind": "attestation"},
    )
    assert upload.status_code == 302
    request_url = reverse("candidates:admissibility_request", args=[vae_path.pk])
    assert client.post(request_url, {}).context["request_form"].errors  # the sworn statement is ticked
    assert client.post(request_url, {"confirm": "on"}).status_code == 302
    path = Path.objects.get(pk=vae_path.pk)
    assert path.state == PathState.ADMISSIBILITY
    # Sent: the file is frozen, as the certifier examines it.
    with translation.override("en"), pytest.raises(RuleViolation, match="can no longer be changed"):
        services.experience_record_delete(record=record, by=candidate_user)
    page = client.get(url).content.decode()
    assert "Ajouter une expérience" not in page and "doit répondre au plus tard le" in page


def test_only_the_candidate_writes_the_experience(vae_path, candidate_user, branch_admin, evaluator, version):
    values = {
        "activity": "Serveur",
        "status": "volunteer",
        "start_date": datetime.date(2020, 1, 1),
        "duration_hours": 300,
        "blocks": [version.blocks.first()],
    }
    for outsider in (branch_admin, evaluator):
        with pytest.raises(Exception) as refused:
            services.experience_record_save(path=vae_path, by=outsider, **values)
        assert refused.value.__class__.__name__ == "NotAllowed"
    record = services.experience_record_save(path=vae_path, by=candidate_user, **values)
    assert record.employer == ""  # not needed for volunteering
    other = published_version(CertificationFactory(), blocks=1).blocks.get()
    with pytest.raises(RuleViolation) as refused:
        services.experience_record_save(
            path=vae_path, by=candidate_user, record=record, **(values | {"blocks": [other]})
        )
    assert refused.value.field == "blocks"


# --- the 2-month clock ---------------------------------------------------------------------------


def test_nearing_means_fifteen_days_or_fewer(make_path):
    assert admissibility.WARNING_DAYS == 15
    assert admissibility.is_nearing(pending(make_path, requested_days_before_deadline(15)))
    assert not admissibility.is_nearing(pending(make_path, requested_days_before_deadline(16)))


def test_the_watch_reminds_the_branch_once(
    make_path, branch_admin, other_branch_admin, django_capture_on_commit_callbacks
):
    path = pending(make_path, requested_days_before_deadline(10))
    later = pending(make_path, requested_days_before_deadline(30))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.admissibility_watch() == {"reminded": 1, "deemed": 0}
    assert [m.to for m in mail.outbox] == [[branch_admin.email]]
    message = mail.outbox[0]
    assert "délai de 2 mois" in message.subject
    assert path.admissibility_deadline.strftime("%Y") in message.body
    # A second beat (or the same one twice) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.admissibility_watch() == {"reminded": 0, "deemed": 0}
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="path.admissibility_reminder").count() == 1
    assert Path.objects.get(pk=later.pk).admissibility_reminded_at is None


def test_silence_past_the_deadline_makes_the_request_admissible(
    make_path, candidate_user, django_capture_on_commit_callbacks
):
    on_deadline = pending(make_path, requested_days_before_deadline(0))
    with django_capture_on_commit_callbacks(execute=True):
        services.admissibility_watch()
    # On the deadline day the branch may still answer: not deemed yet.
    assert Path.objects.get(pk=on_deadline.pk).state == PathState.ADMISSIBILITY
    mail.outbox.clear()
    Path.objects.filter(pk=on_deadline.pk).update(admissibility_requested_on=requested_days_before_deadline(-1))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.admissibility_watch() == {"reminded": 0, "deemed": 1}
    path = Path.objects.get(pk=on_deadline.pk)
    assert path.state == PathState.ADMISSIBLE
    assert path.admissibility_deemed
    assert path.admissibility_decided_on == path.admissibility_deadline
    row = AuditEntry.objects.filter(action="path.declare_admissible").get()
    assert (row.actor_id, row.from_state, row.to_state) == (None, "admissibility", "admissible")
    assert row.note == "Réputée recevable (silence de 2 mois)"
    assert [m.to for m in mail.outbox] == [[candidate_user.email]]
    assert "réputée recevable" in mail.outbox[0].subject
    # Idempotent: nothing moves nor is sent twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.watch_admissibility_deadlines() == {"reminded": 0, "deemed": 0}
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="path.declare_admissible").count() == 1
    # Visible on the path, in the API.
    body = api(candidate_user).get(f"/api/v1/paths/{path.pk}/").json()
    assert body["admissibility_deemed"] is True and body["state"] == "admissible"


def test_after_the_deadline_the_branch_can_no_longer_refuse(make_path, branch_admin):
    path = pending(make_path, requested_days_before_deadline(-3))
    with translation.override("en"), pytest.raises(RuleViolation, match="deemed admissible") as refused:
        services.path_decide_admissibility(path=path, by=branch_admin, admissible=False, note="Hors sujet")
    assert refused.value.code == "admissibility_deemed"
    assert Path.objects.get(pk=path.pk).state == PathState.ADMISSIBILITY


def test_the_beat_schedule_runs_the_watch_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["candidates-watch-admissibility"]
    assert entry["task"] == tasks.watch_admissibility_deadlines.name


# --- the branch's dashboard ----------------------------------------------------------------------


def test_the_branch_sees_pending_requests_with_deadline_and_nearing_flag(make_path, branch_admin, other_branch_admin):
    soon = pending(make_path, requested_days_before_deadline(5))
    response = client_for(branch_admin).get(reverse("candidates:admissibility_requests"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r["path"], r["nearing"], r["days_left"]) for r in rows] == [(soon, True, 5)]
    page = response.content.decode()
    assert "Échéance proche : 5 jours restants" in page
    assert soon.admissibility_deadline.strftime("%Y") in page
    other = client_for(other_branch_admin).get(reverse("candidates:admissibility_requests"))
    assert other.context["rows"] == []
    assert (
        "Demandes de recevabilité VAE"
        in client_for(branch_admin).get(reverse("certifications:workspace")).content.decode()
    )


@pytest.mark.parametrize("n", [1, 5])
def test_the_dashboard_query_count_does_not_grow(n, version, branch_admin, django_assert_num_queries):
    from tests.factories.candidates import PathFactory

    for i in range(n):
        PathFactory(
            version=version,
            state=PathState.ADMISSIBILITY,
            access_route=AccessRoute.VAE,
            admissibility_requested_on=TODAY() - datetime.timedelta(days=i),
        )
    client = client_for(branch_admin)
    client.get(reverse("candidates:admissibility_requests"))
    # session, user, roles, the scoped list with candidates and certifications
    with django_assert_num_queries(4):
        client.get(reverse("candidates:admissibility_requests"))


# --- the API -------------------------------------------------------------------------------------


def test_api_experience_records_crud_for_the_candidate_only(
    vae_path, candidate_user, other_candidate_user, branch_admin, version
):
    block = version.blocks.first()
    body = {
        "path": vae_path.pk,
        "activity": "Serveur",
        "status": "employee",
        "employer": "Brasserie du Port",
        "start_date": "2021-01-04",
        "end_date": "2022-12-30",
        "duration_hours": 3000,
        "blocks": [block.pk],
    }
    created = api(candidate_user).post("/api/v1/experience-records/", body, format="json")
    assert created.status_code == 201, created.json()
    record_url = f"/api/v1/experience-records/{created.json()['id']}/"
    assert (
        api(candidate_user).patch(record_url, {"duration_hours": 3100}, format="json").json()["duration_hours"] == 3100
    )
    assert api(other_candidate_user).get(record_url).status_code == 404
    assert api(other_candidate_user).post("/api/v1/experience-records/", body, format="json").status_code == 404
    assert api(branch_admin).get(record_url).status_code == 200
    assert api(branch_admin).patch(record_url, {"duration_hours": 1}, format="json").status_code == 403
    refused = api(candidate_user).patch(record_url, {"employer": ""}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "employer_required" and set(refused.json()["fields"]) == {"employer"}
    assert api(candidate_user).delete(record_url).status_code == 204
    assert not ExperienceRecord.objects.exists()


def test_api_request_refused_in_the_error_shape(vae_path, candidate_user):
    response = api(candidate_user).post(
        f"/api/v1/paths/{vae_path.pk}/transitions/request_admissibility/",
        json.dumps({}),
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "admissibility_incomplete"
    assert set(body["fields"]) == {"experience_records"}
    assert len(body["details"]) == 2


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_on_real_workers_remind_once_and_deem_once(celery_worker, make_path, branch_admin):
    """Two runs of the periodic task at the same time, on a real worker with 2 processes."""
    import time

    from tests.conftest import ARTIFACTS

    nearing = pending(make_path, requested_days_before_deadline(3))
    expired = pending(make_path, requested_days_before_deadline(-2))
    runs = [tasks.watch_admissibility_deadlines.apply_async() for _ in range(2)]
    counts = [run.get(timeout=60) for run in runs]
    assert sum(c["reminded"] for c in counts) == 1
    assert sum(c["deemed"] for c in counts) == 1
    assert AuditEntry.objects.filter(action="path.admissibility_reminder").count() == 1
    assert AuditEntry.objects.filter(action="path.declare_admissible").count() == 1
    assert Path.objects.get(pk=expired.pk).state == PathState.ADMISSIBLE
    assert Path.objects.get(pk=nearing.pk).admissibility_reminded_at is not None
    # The e-mails are sent by the worker too: each exactly once.
    log = ARTIFACTS / "celery-worker.log"
    reminder = f"admissibility reminder for path {nearing.pk} sent to 1 administrator(s)"
    deemed = f"notification admissibility_deemed for path {expired.pk} sent to 1 recipient(s)"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (reminder in log.read_text() and deemed in log.read_text()):
        time.sleep(0.3)
    time.sleep(1)  # a duplicate, if any, would follow closely
    text = log.read_text()
    assert text.count(reminder) == 1 and text.count(deemed) == 1


def test_the_experience_is_in_the_data_export_and_goes_with_anonymisation(vae_path, candidate, staff_user):
    from candidates import gdpr

    ExperienceRecordFactory(path=vae_path, employer="Brasserie du Port")
    exported = gdpr.candidate_data(candidate)["experience_records"]
    assert [r["employer"] for r in exported] == ["Brasserie du Port"]
    assert exported[0]["block_codes"] == ["BC01", "BC02", "BC03"]
    gdpr.candidate_anonymise(candidate=candidate, by=staff_user, reason="Demande d'effacement")
    assert not ExperienceRecord.objects.exists()
