"""18a: every award of an RNCP/RS certification reported to the CDC within 3 months. Awards not
reported are listed on the board from 60 days on; the branch administrators are reminded at 60
and 80 days, once each, even when the beat task runs twice or on two beat instances at once."""

import datetime
import threading

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from juries.certificates import cdc
from juries.certificates.cdc import deadlines
from juries.certificates.models import CdcDeadlineReminder, CdcStatus, Certificate
from tests.certificates.test_cdc import issue_all, mixed, rncp_awards  # noqa: F401 (fixture)
from tests.factories.candidates import CandidateFactory
from tests.factories.certificates import award_setup, cdc_account, closed_session, final_decision

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def aged(certificate, days: int) -> None:
    Certificate.objects.filter(pk=certificate.pk).update(award_date=TODAY - datetime.timedelta(days=days))


def test_the_board_lists_approaching_and_overdue_awards_only(mixed):  # noqa: F811
    _certification, documents = mixed
    first, second = rncp_awards(documents)
    aged(first, 100)
    aged(second, 65)
    rows = {row["number"]: row for row in deadlines.deadline_list()}
    assert rows[first.number]["overdue"] and not rows[second.number]["overdue"]
    assert 0 < rows[second.number]["days_left"] <= 31
    assert list(rows) == [first.number, second.number]  # overdue first
    aged(second, 30)
    assert [row["number"] for row in deadlines.deadline_list()] == [first.number]
    Certificate.objects.filter(pk=first.pk).update(cdc_status=CdcStatus.ACCEPTED)
    assert deadlines.deadline_list() == []


def test_reminders_at_60_and_80_days_are_sent_once(mixed, branch_admin, django_capture_on_commit_callbacks):  # noqa: F811
    _certification, documents = mixed
    first, second = rncp_awards(documents)
    aged(first, 85)
    aged(second, 61)
    with django_capture_on_commit_callbacks(execute=True):
        assert deadlines.flag_cdc_deadlines() == 3  # first: 60 and 80; second: 60
    assert set(CdcDeadlineReminder.objects.values_list("certificate_id", "days")) == {
        (first.pk, 60),
        (first.pk, 80),
        (second.pk, 60),
    }
    [message] = [m for m in mail.outbox if branch_admin.email in m.to]
    assert first.number in message.body and second.number in message.body
    assert "/certificats/cdc/" in message.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert deadlines.flag_cdc_deadlines() == 0
    assert mail.outbox == []


def test_a_reported_award_gets_no_reminder(mixed):  # noqa: F811
    _certification, documents = mixed
    first, second = rncp_awards(documents)
    aged(first, 90)
    aged(second, 90)
    cdc.cdc_export()
    assert deadlines.flag_cdc_deadlines() == 0


def test_the_beat_schedule_runs_the_task_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["certificates-cdc-deadlines"]
    assert entry["task"] == "certificates.cdc_flag_deadlines"
    from cqp_portal.celery import app

    app.loader.import_default_modules()
    assert "certificates.cdc_flag_deadlines" in app.tasks


@pytest.mark.django_db(transaction=True)
def test_two_beat_instances_at_once_send_each_reminder_once(branch, django_capture_on_commit_callbacks):
    certification, version = award_setup(branch)
    cdc_account(certification)
    session = closed_session(certification, award_date=TODAY - datetime.timedelta(days=70))
    decisions = [final_decision(session, version=version, candidate=CandidateFactory()) for _ in range(6)]
    issue_all(decisions, django_capture_on_commit_callbacks)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(deadlines.flag_cdc_deadlines())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 6
    assert CdcDeadlineReminder.objects.count() == 6


def _board_queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/certificats/cdc/")
    assert response.status_code == 200
    return len(queries)


def test_the_board_query_count_does_not_grow_with_the_awards(
    branch, branch_admin, client, django_capture_on_commit_callbacks
):
    certification, version = award_setup(branch)
    cdc_account(certification)
    session = closed_session(certification, award_date=TODAY - datetime.timedelta(days=70))

    def add(count):
        decisions = [final_decision(session, version=version, candidate=CandidateFactory()) for _ in range(count)]
        issue_all(decisions, django_capture_on_commit_callbacks)

    add(2)
    few = _board_queries(client, branch_admin)
    add(8)
    assert _board_queries(client, branch_admin) == few
    html = client.get("/certificats/cdc/").content.decode()
    assert "Délai de 3 mois" in html and "jours restants" in html
