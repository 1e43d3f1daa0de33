import datetime

import pytest
from django.utils import timezone

from candidates.models import AcquiredBlock, AcquisitionSource, Path
from cqp_portal import policy
from juries import selectors, services
from juries.models import Decision, Dossier, ExpiryNotice, JurySession
from tests.factories.juries import JurySessionFactory, seat_jury
from tests.juries.conftest import current_decision, decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def partial(deliberating, path, jury_member, django_capture_on_commit_callbacks):
    decide(current_decision(path), jury_member, {"BC01": True, "BC02": False, "BC03": False})
    with django_capture_on_commit_callbacks(execute=True):
        services.jury_session_close(session=deliberating, by=jury_member)
    return path


def test_partial_award_deadline_is_the_earliest_validity_end(partial):
    today = timezone.localdate()
    summary = selectors.decision_summary_for_path(partial)
    assert summary["decision"].outcome == "partial"
    assert summary["deadline"] == today.replace(year=today.year + 5)
    older = AcquiredBlock.objects.create(
        candidate=partial.candidate,
        block=partial.version.blocks.get(code="BC03"),
        source=AcquisitionSource.PRIOR_AWARD,
        acquired_on=today - datetime.timedelta(days=400),
        valid_until=today + datetime.timedelta(days=100),
    )
    assert selectors.partial_award_deadline(partial) == older.valid_until
    rows = selectors.partial_awards_with_deadlines(None)
    assert rows == [(current_decision(partial), older.valid_until)]


def test_expiring_blocks_are_flagged_and_notified_once(
    partial, mailoutbox, django_capture_on_commit_callbacks, branch_admin
):
    entry = AcquiredBlock.objects.get(candidate=partial.candidate)
    today = timezone.localdate()
    soon = entry.valid_until - datetime.timedelta(days=60)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.flag_expiring_blocks(today=soon) == 1
    assert ExpiryNotice.objects.filter(acquired_block=entry).exists()
    recipients = {a for m in mailoutbox for a in m.to}
    assert {partial.candidate.email, branch_admin.email} <= recipients
    sent = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.flag_expiring_blocks(today=soon) == 0
    assert len(mailoutbox) == sent
    # Too far ahead: nothing to flag yet.
    assert services.flag_expiring_blocks(today=today) == 0


def test_members_of_another_session_see_nothing(
    deliberating, path, other_jury_member, jury_member, branch_admin, other_branch_admin, candidate_user
):
    other = JurySessionFactory(certifications=list(deliberating.certifications.all()))
    seat_jury(other, other_jury_member)
    assert not policy.scope(other_jury_member, Dossier).filter(session=deliberating).exists()
    assert not policy.scope(other_jury_member, Decision).filter(dossier__session=deliberating).exists()
    assert list(policy.scope(other_jury_member, JurySession)) == [other]
    assert not policy.scope(other_jury_member, Path).filter(pk=path.pk).exists()
    # The members of the session see its paths; the admin of the branch sees both sessions.
    assert policy.scope(jury_member, Path).filter(pk=path.pk).exists()
    assert set(policy.scope(branch_admin, JurySession)) == {deliberating, other}
    assert not policy.scope(other_branch_admin, JurySession).exists()
    # A candidate sees no proposed decision, even their own.
    path.candidate.user = candidate_user
    path.candidate.save()
    assert not policy.scope(candidate_user, Decision).exists()
