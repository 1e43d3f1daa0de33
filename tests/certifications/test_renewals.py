"""Registration renewals (issue 20, point 3): the ending registrations and the candidates at risk
on "Ma branche", and the 12- and 6-month reminders of the beat task."""

import datetime
import threading

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from candidates.models import Course, PathState, add_months
from certifications import renewals
from certifications.models import RegistrationReminder
from cqp_portal.audit.models import AuditEntry
from juries.models import Dossier
from tests.factories.candidates import PathFactory
from tests.factories.certifications import CertificationFactory, RegistrationFactory, published_version
from tests.factories.juries import JurySessionFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
WORKSPACE = reverse("certifications:workspace")


def registered(branch, *, end, last_delivery=None, title="CQP test"):
    certification = CertificationFactory(branches=[branch], title=title)
    RegistrationFactory(certification=certification, end_date=end, last_delivery_date=last_delivery)
    return published_version(certification, blocks=1)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


# --- which registrations are ending ----------------------------------------------------------


def test_urgency_levels_at_their_bounds():
    assert renewals.urgency(TODAY - datetime.timedelta(days=1), TODAY) == "ended"
    assert renewals.urgency(TODAY, TODAY) == "6"
    assert renewals.urgency(add_months(TODAY, 6), TODAY) == "6"
    assert renewals.urgency(add_months(TODAY, 6) + datetime.timedelta(days=1), TODAY) == "12"
    assert renewals.urgency(add_months(TODAY, 12), TODAY) == "12"
    assert renewals.urgency(add_months(TODAY, 12) + datetime.timedelta(days=1), TODAY) is None


def test_ending_registrations_soonest_first_and_last_delivery_without_end(branch, branch_admin):
    from certifications.selectors import administered_certifications

    later = registered(branch, end=add_months(TODAY, 10), title="B dans 10 mois").certification
    soon = registered(branch, end=add_months(TODAY, 3), title="A dans 3 mois").certification
    registered(branch, end=add_months(TODAY, 30), title="C lointaine")
    # No end date: the last delivery date is the end.
    delivery_only = registered(branch, end=None, last_delivery=add_months(TODAY, 11), title="D").certification
    rows = renewals.ending_registrations(administered_certifications(branch_admin))
    assert [(r["certification"], r["level"]) for r in rows] == [(soon, "6"), (later, "12"), (delivery_only, "12")]


# --- candidates whose jury comes too late --------------------------------------------------------


def test_paths_at_risk_by_session_date_course_end_or_unknown(branch):
    version = registered(branch, end=add_months(TODAY, 3), last_delivery=add_months(TODAY, 4))
    limit = add_months(TODAY, 4)
    late_session = PathFactory(version=version, state=PathState.READY_FOR_JURY)
    session = JurySessionFactory(certifications=[version.certification], date=limit + datetime.timedelta(days=1))
    Dossier.objects.create(session=session, path=late_session)
    on_time = PathFactory(version=version, state=PathState.READY_FOR_JURY)
    Dossier.objects.create(session=JurySessionFactory(date=limit), path=on_time)
    late_course = PathFactory(version=version, state=PathState.IN_COURSE)
    Course.objects.create(path=late_course, end_date=limit + datetime.timedelta(days=30))
    unknown = PathFactory(version=version, state=PathState.REGISTERED)
    PathFactory(version=version, state=PathState.AWARDED)  # final: not enrolled any more
    PathFactory(version=version, state=PathState.DRAFT)
    at_risk = {p.pk: p for p in renewals.paths_at_risk([version.certification_id])}
    assert set(at_risk) == {late_session.pk, late_course.pk, unknown.pk}
    assert at_risk[late_session.pk].planned_jury == limit + datetime.timedelta(days=1)
    assert at_risk[unknown.pk].planned_jury is None


def test_unknown_jury_date_is_not_flagged_while_the_limit_is_far(branch):
    version = registered(branch, end=add_months(TODAY, 9))
    PathFactory(version=version, state=PathState.REGISTERED)
    assert list(renewals.paths_at_risk([version.certification_id])) == []


# --- the page ----------------------------------------------------------------------------


def test_branch_admin_sees_the_section_in_french(branch, branch_admin):
    version = registered(branch, end=add_months(TODAY, 3), title="CQP Commis de cuisine")
    path = PathFactory(version=version, state=PathState.IN_COURSE)
    html = client_for(branch_admin).get(WORKSPACE).content.decode()
    assert "Renouvellement des enregistrements" in html
    assert "CQP Commis de cuisine" in html
    assert add_months(TODAY, 3).strftime("%d/%m/%Y") in html
    assert "Dans les 6 mois" in html
    assert "Déposez maintenant la demande de renouvellement" in html
    assert reverse("candidates:path_detail", args=[path.pk]) in html
    assert reverse("statistics:renewal_export") in html


def test_other_branch_does_not_see_the_section(branch, other_branch_admin):
    version = registered(branch, end=add_months(TODAY, 3), title="CQP Commis de cuisine")
    PathFactory(version=version, state=PathState.IN_COURSE)
    html = client_for(other_branch_admin).get(WORKSPACE).content.decode()
    assert "Renouvellement des enregistrements" not in html
    assert "CQP Commis de cuisine" not in html


def test_no_section_when_nothing_ends_within_a_year(branch, branch_admin):
    registered(branch, end=add_months(TODAY, 30))
    assert "Renouvellement des enregistrements" not in client_for(branch_admin).get(WORKSPACE).content.decode()


def test_outsiders_are_refused(candidate_user, evaluator):
    for user in (candidate_user, evaluator):
        assert client_for(user).get(WORKSPACE).status_code == 403


def test_section_query_count_is_the_same_for_2_and_10_certifications(branch, branch_admin):
    client = client_for(branch_admin)

    def make(n):
        for _ in range(n):
            version = registered(branch, end=add_months(TODAY, 3))
            PathFactory(version=version, state=PathState.IN_COURSE)

    make(2)
    client.get(WORKSPACE)
    with CaptureQueriesContext(connection) as two:
        client.get(WORKSPACE)
    make(8)
    with CaptureQueriesContext(connection) as ten:
        response = client.get(WORKSPACE)
    assert response.content.decode().count("Dans les 6 mois") == 10
    assert len(ten) == len(two)


# --- the reminder ------------------------------------------------------------------------


def run(today, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return renewals.flag_ending_registrations(today=today)


def test_reminders_at_12_then_6_months_once_each(branch, branch_admin, django_capture_on_commit_callbacks):
    version = registered(branch, end=add_months(TODAY, 12), title="CQP Barman")
    registration = version.certification.registration
    registered(branch, end=add_months(TODAY, 13))  # not yet
    assert run(TODAY, django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [branch_admin.email]
    assert "CQP Barman" in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="registration.end_reminder", object_id=str(registration.pk)).count() == 1
    # Second run, same day: nothing.
    assert run(TODAY, django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1
    # Five months later: only the other registration's 12-month reminder; six months before
    # the end: the barman's second reminder; the same day again: nothing.
    assert run(add_months(TODAY, 5), django_capture_on_commit_callbacks) == 1
    assert "CQP Barman" not in mail.outbox[-1].body
    assert run(add_months(TODAY, 6), django_capture_on_commit_callbacks) == 1
    assert "CQP Barman" in mail.outbox[-1].body
    assert run(add_months(TODAY, 6), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 3
    months = RegistrationReminder.objects.filter(registration=registration).order_by("months")
    assert list(months.values_list("months", flat=True)) == [6, 12]


def test_first_seen_within_6_months_gets_only_the_6_month_reminder(branch, django_capture_on_commit_callbacks):
    registered(branch, end=add_months(TODAY, 2))
    registered(branch, end=TODAY - datetime.timedelta(days=1))  # already ended: nothing to renew by mail
    assert run(TODAY, django_capture_on_commit_callbacks) == 1
    assert list(RegistrationReminder.objects.values_list("months", flat=True)) == [6]
    assert run(TODAY, django_capture_on_commit_callbacks) == 0


def test_a_renewed_registration_is_reminded_again(branch, django_capture_on_commit_callbacks):
    version = registered(branch, end=add_months(TODAY, 5))
    assert run(TODAY, django_capture_on_commit_callbacks) == 1
    registration = version.certification.registration
    registration.end_date = add_months(TODAY, 60)
    registration.save()
    assert run(add_months(TODAY, 48), django_capture_on_commit_callbacks) == 1


def test_the_reminder_row_is_unique():
    from django.db import IntegrityError, transaction

    registration = RegistrationFactory(end_date=add_months(TODAY, 3))
    RegistrationReminder.objects.create(registration=registration, months=6, end_date=registration.end_date)
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationReminder.objects.create(registration=registration, months=6, end_date=registration.end_date)


def test_the_beat_schedule_runs_the_task_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["certifications-registration-renewals"]
    assert entry["task"] == "certifications.flag_ending_registrations"
    from cqp_portal.celery import app

    app.loader.import_default_modules()
    assert "certifications.flag_ending_registrations" in app.tasks


@pytest.mark.django_db(transaction=True)
def test_two_beat_instances_at_once_record_each_reminder_once(branch):
    for _ in range(6):
        registered(branch, end=add_months(TODAY, 4))
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run_one():
        try:
            barrier.wait()
            results.append(renewals.flag_ending_registrations(today=TODAY))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 6
    assert RegistrationReminder.objects.count() == 6
