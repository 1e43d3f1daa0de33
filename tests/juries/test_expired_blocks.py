"""Held blocks are judged on the jury date (domain.md, "Validity of validated blocks": expired
blocks must be assessed again): the grid, the outcome, the close, the ratification and what
the candidate is told."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from candidates.models import AssessmentOutcome, BlockAssessment, PathState
from cqp_portal.errors import RuleViolation
from juries import selectors, services
from juries.models import Outcome
from tests.factories.juries import JurySessionFactory, ready_path, seat_jury
from tests.juries.conftest import approve_both, current_decision, decide

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _expired_held_path(version, evaluator, *, valid_until):
    """A path whose BC01 was positioned as already held through a ledger row valid until
    ``valid_until``; BC02 and BC03 assessed acquired."""
    path = ready_path(
        version, evaluator=evaluator, outcomes={"BC02": "acquired", "BC03": "acquired"}, plans={"BC01": "held"}
    )
    path.candidate.acquired_blocks.filter(block__code="BC01").update(valid_until=valid_until)
    return path


def _deliberate(session, path, branch_admin, jury_member):
    services.dossier_add(session=session, path=path, by=branch_admin)
    services.jury_session_convene(session=session, by=branch_admin)
    services.jury_session_start_deliberation(session=session, by=jury_member)
    session.refresh_from_db()
    return current_decision(path)


def test_a_block_expired_before_the_jury_date_is_not_counted_and_the_award_is_partial(
    session, jury, version, evaluator, branch_admin, jury_member, django_capture_on_commit_callbacks
):
    path = _expired_held_path(version, evaluator, valid_until=TODAY() - datetime.timedelta(days=1))
    decision = _deliberate(session, path, branch_admin, jury_member)
    bc01 = decision.block_decisions.get(block__code="BC01")
    # Not held: expired, not assessed again, so recorded as not validated with its reason.
    assert (bc01.held, bc01.expired_on, bc01.validated) == (False, TODAY() - datetime.timedelta(days=1), False)
    assert "assessed again" in bc01.reasons or "évalué de nouveau" in bc01.reasons

    decision = decide(decision, jury_member, {"BC02": True, "BC03": True})
    assert decision.outcome == Outcome.PARTIAL  # was TOTAL when the positioning counted
    with pytest.raises(RuleViolation, match="BC01") as refused:
        decide(decision, jury_member, {"BC01": True})
    assert refused.value.code == "block_expired"

    with django_capture_on_commit_callbacks(execute=True):
        services.jury_session_close(session=session, by=jury_member)
    path.refresh_from_db()
    assert path.state == PathState.PARTIALLY_AWARDED
    # The candidate is told what to retake, expired block included, with its date.
    summary = selectors.decision_summary_for_path(path)
    assert [bd.block.code for bd in summary["expired"]] == ["BC01"]
    notice = next(m for m in mail.outbox if path.candidate.email in m.to)
    assert "BC01" in notice.body


def test_validity_is_judged_on_the_jury_date_not_on_the_day_the_deliberation_opens(
    certification, version, evaluator, branch_admin, jury_member
):
    session = JurySessionFactory(certifications=[certification], date=TODAY() + datetime.timedelta(days=10))
    seat_jury(session, jury_member)
    # Valid today, expired on the jury date.
    path = _expired_held_path(version, evaluator, valid_until=TODAY() + datetime.timedelta(days=5))
    decision = _deliberate(session, path, branch_admin, jury_member)
    row = decision.block_decisions.get(block__code="BC01")
    assert not row.held and row.expired_on == TODAY() + datetime.timedelta(days=5)


def test_a_block_still_valid_on_the_jury_date_is_held_and_the_award_total(
    session, jury, version, evaluator, branch_admin, jury_member
):
    path = _expired_held_path(version, evaluator, valid_until=TODAY())
    decision = _deliberate(session, path, branch_admin, jury_member)
    assert decision.block_decisions.get(block__code="BC01").held
    assert decide(decision, jury_member, {"BC02": True, "BC03": True}).outcome == Outcome.TOTAL


def test_an_expired_block_assessed_again_on_the_path_can_be_validated(
    session, jury, version, evaluator, branch_admin, jury_member
):
    path = _expired_held_path(version, evaluator, valid_until=TODAY() - datetime.timedelta(days=30))
    bc01 = version.blocks.get(code="BC01")
    BlockAssessment.objects.create(
        path=path,
        block=bc01,
        evaluator=evaluator,
        modality=bc01.modalities.first(),
        assessed_on=TODAY(),
        outcome=AssessmentOutcome.ACQUIRED,
    )
    decision = _deliberate(session, path, branch_admin, jury_member)
    row = decision.block_decisions.get(block=bc01)
    assert (row.held, row.validated) == (False, None)  # the jury decides it
    assert decide(decision, jury_member, {"BC01": True, "BC02": True, "BC03": True}).outcome == Outcome.TOTAL


def test_the_grid_shows_the_expired_block(client, session, jury, version, evaluator, branch_admin, jury_member):
    path = _expired_held_path(version, evaluator, valid_until=datetime.date(2025, 3, 31))
    decision = _deliberate(session, path, branch_admin, jury_member)
    client.force_login(jury_member)
    page = client.get(reverse("juries:grid", args=[session.pk])).content.decode()
    assert "Expiré, détenu jusqu&#x27;au 31/03/2025" in page
    dossier = client.get(reverse("juries:dossier_detail", args=[session.pk, decision.dossier_id])).content.decode()
    assert "détenu jusqu'au 31/03/2025, expiré avant la date du jury" in dossier
    api = client.get(f"/api/v1/jury-decisions/{decision.pk}/").json()
    bc01 = next(b for b in api["block_decisions"] if b["block_code"] == "BC01")
    assert bc01["expired_on"] == "2025-03-31" and bc01["held"] is False


def test_a_held_block_revoked_after_the_deliberation_opened_blocks_the_close_until_decided(
    session, jury, version, evaluator, branch_admin, jury_member
):
    path = _expired_held_path(version, evaluator, valid_until=None)
    decision = _deliberate(session, path, branch_admin, jury_member)
    decision = decide(decision, jury_member, {"BC02": True, "BC03": True})
    assert decision.outcome == Outcome.TOTAL
    path.candidate.acquired_blocks.update(revoked_at=timezone.now())  # a corrected decision elsewhere
    problems = services.close_blockers(session)
    assert any("BC01" in p for p in problems)
    with pytest.raises(RuleViolation):
        services.jury_session_close(session=session, by=jury_member)
    # Saving the row judges it again: BC01 is now a block the jury decides.
    decision = decide(decision, jury_member, {"BC02": True, "BC03": True})
    row = decision.block_decisions.get(block__code="BC01")
    assert not row.held and row.validated is None and decision.outcome == ""
    decision = decide(decision, jury_member, {"BC01": False})
    assert decision.outcome == Outcome.PARTIAL
    assert services.close_blockers(session) == []


def test_ratification_is_refused_while_a_held_block_is_no_longer_held(
    certification, version, evaluator, branch_admin, jury_member, django_capture_on_commit_callbacks
):
    certification.requires_ratification = True
    certification.save()
    session = JurySessionFactory(certifications=[certification])
    seat_jury(session, jury_member)
    path = _expired_held_path(version, evaluator, valid_until=None)
    decision = _deliberate(session, path, branch_admin, jury_member)
    decide(decision, jury_member, {"BC02": True, "BC03": True})
    with django_capture_on_commit_callbacks(execute=True):
        services.jury_session_close(session=session, by=jury_member)
    session.refresh_from_db()
    approve_both(session, jury_member)
    path.candidate.acquired_blocks.filter(block__code="BC01").update(revoked_at=timezone.now())
    with pytest.raises(RuleViolation) as refused:
        services.jury_session_ratify(session=session, by=branch_admin)
    assert refused.value.code == "held_block_lost"
    # The correction judges BC01 again: not validated, reasoned by the correction.
    new = services.decision_correct(decision=current_decision(path), by=branch_admin, reason="BC01 révoqué")
    row = new.block_decisions.get(block__code="BC01")
    assert (row.held, row.validated, row.reasons, new.outcome) == (False, False, "BC01 révoqué", Outcome.PARTIAL)
    services.jury_session_ratify(session=session, by=branch_admin)


def test_the_ledger_decides_validity_on_a_date_directly_and_through_a_passerelle(version):
    from candidates.ledger import block_holdings, held_blocks
    from certifications.models import BlockEquivalence
    from tests.factories.candidates import AcquiredBlockFactory, CandidateFactory
    from tests.factories.certifications import CertificationFactory, published_version

    candidate = CandidateFactory()
    bc01, bc02, _bc03 = version.blocks.order_by("order")
    foreign = published_version(CertificationFactory(), blocks=1).blocks.get()
    BlockEquivalence.objects.create(from_block=foreign, to_block=bc02, bidirectional=False)
    day = datetime.date(2026, 6, 30)
    old = AcquiredBlockFactory(candidate=candidate, block=bc01, valid_until=datetime.date(2026, 1, 31))
    older = AcquiredBlockFactory(candidate=candidate, block=bc01, valid_until=datetime.date(2025, 1, 31))
    through = AcquiredBlockFactory(candidate=candidate, block=foreign, valid_until=day)
    holdings = block_holdings(candidate, version, day)
    # Expired: the row valid the longest is the one the candidate is told about.
    assert (holdings[bc01.pk].valid, holdings[bc01.pk].acquisition, holdings[bc01.pk].expired_on) == (
        False,
        old,
        datetime.date(2026, 1, 31),
    )
    assert older != holdings[bc01.pk].acquisition
    assert holdings[bc02.pk].valid and holdings[bc02.pk].acquisition == through  # valid on its last day
    assert held_blocks(candidate, version, day) == {bc02.pk: through}
    assert held_blocks(candidate, version, day + datetime.timedelta(days=1)) == {}
    # A valid row wins over an expired one.
    fresh = AcquiredBlockFactory(candidate=candidate, block=bc01, valid_until=None)
    assert block_holdings(candidate, version, day)[bc01.pk].acquisition == fresh
