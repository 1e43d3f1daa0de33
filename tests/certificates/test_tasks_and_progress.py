import datetime

import pytest
from django.utils import timezone

from cqp_portal.celery import app
from juries.certificates import pdf, selectors, services
from juries.certificates.models import Certificate, CertificateState
from juries.certificates.tasks import certificate_render, sweep_pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(award, django_capture_on_commit_callbacks):
    """Issued in the database, PDF not rendered yet (the queued task was not run)."""
    with django_capture_on_commit_callbacks(execute=False):
        [certificate] = services.certificate_issue_for_decision(decision=award)
    return certificate


def test_the_render_task_is_queued_after_commit(award, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.certificate_issue_for_decision(decision=award)
    assert len(callbacks) == 1
    assert Certificate.objects.get().state == CertificateState.PENDING


def test_running_the_task_twice_gives_one_certificate_and_one_file(pending):
    assert certificate_render.delay(pending.pk).get() is True
    assert certificate_render.delay(pending.pk).get() is False
    pending.refresh_from_db()
    assert pending.state == CertificateState.ISSUED and pending.attempts == 1
    assert Certificate.objects.count() == 1


def test_a_failed_render_is_recorded_on_the_certificate(pending, monkeypatch):
    def broken(certificate):
        raise ValueError("template exploded")

    monkeypatch.setattr(pdf, "render_certificate", broken)
    # throw=False: like a worker, Celery runs the failure hook instead of raising at once.
    assert certificate_render.apply(args=[pending.pk], throw=False).failed()
    pending.refresh_from_db()
    assert pending.state == CertificateState.PENDING
    assert "template exploded" in pending.error and pending.attempts == 1
    progress = selectors.session_progress(pending.decision.dossier.session)
    assert progress.failures[0]["number"] == pending.number


def test_the_sweeper_requeues_stale_pending_certificates(pending, django_capture_on_commit_callbacks):
    Certificate.objects.filter(pk=pending.pk).update(queued_at=timezone.now() - datetime.timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert sweep_pending.delay().get() == 1
    assert len(callbacks) == 1
    pending.refresh_from_db()
    assert pending.state == CertificateState.ISSUED


def test_the_sweeper_leaves_recent_ones_alone(pending, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.certificates_requeue_pending(older_than_minutes=5) == 0
    assert callbacks == []


def test_the_sweeper_is_scheduled():
    entry = app.conf.beat_schedule["certificates-sweep-pending"]
    assert entry["task"] == "certificates.sweep_pending"
    assert certificate_render.acks_late and certificate_render.reject_on_worker_lost


def test_progress_json_and_fragment(client, pending, branch_admin):
    session = pending.decision.dossier.session
    client.force_login(branch_admin)
    data = client.get(f"/certificats/session/{session.pk}/progression.json").json()
    assert (data["issued"], data["total"], data["done"]) == (0, 1, False)
    certificate_render.delay(pending.pk)
    data = client.get(f"/certificats/session/{session.pk}/progression.json").json()
    assert (data["issued"], data["total"], data["done"], data["percent"]) == (1, 1, True, 100)
    html = client.get(f"/certificats/session/{session.pk}/progression/").content.decode()
    assert "1 / 1 certificats délivrés" in html


def test_progress_is_hidden_from_outsiders(client, pending, other_branch_admin, candidate_user):
    session = pending.decision.dossier.session
    for user in (other_branch_admin, candidate_user):
        client.force_login(user)
        assert client.get(f"/certificats/session/{session.pk}/progression.json").status_code == 404


def test_the_retry_button_requeues_the_pending_ones(client, pending, branch_admin, django_capture_on_commit_callbacks):
    session = pending.decision.dossier.session
    Certificate.objects.filter(pk=pending.pk).update(error="boom")
    client.force_login(branch_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/certificats/session/{session.pk}/relancer/", {"next": "/"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.state == CertificateState.ISSUED and pending.error == ""


def test_the_retry_button_is_refused_to_a_plain_member(client, pending, other_jury_member):
    from juries.models import College, JuryMember

    session = pending.decision.dossier.session
    JuryMember.objects.create(session=session, user=other_jury_member, college=College.EMPLOYEE)
    client.force_login(other_jury_member)
    assert client.get(f"/certificats/session/{session.pk}/progression.json").status_code == 200
    # A refused action in a page is a message and a redirect (DomainErrorMiddleware), nothing done.
    response = client.post(f"/certificats/session/{session.pk}/relancer/", follow=True)
    assert "Vous n&#x27;êtes pas autorisé" in response.content.decode()
    from cqp_portal.audit.models import AuditEntry

    assert not AuditEntry.objects.filter(action="certificates.retry").exists()


def test_a_broker_outage_at_commit_leaves_the_award_committed(award, monkeypatch, django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(certificate_render, "delay", down)
    monkeypatch.setattr(certificate_render, "apply_async", down)  # what enqueue_on_commit calls
    with django_capture_on_commit_callbacks(execute=True):
        [certificate] = services.certificate_issue_for_decision(decision=award)  # no error
    certificate.refresh_from_db()
    assert certificate.state == CertificateState.PENDING  # the sweeper will queue it again
    monkeypatch.undo()
    Certificate.objects.filter(pk=certificate.pk).update(queued_at=timezone.now() - datetime.timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        services.certificates_requeue_pending()
    certificate.refresh_from_db()
    assert certificate.state == CertificateState.ISSUED
