import pytest

from candidates.models import AcquiredBlock, AcquisitionSource, BlockPlan
from cqp_portal.errors import Conflict, RuleViolation
from juries import services
from juries.models import BlockDecision, College, Outcome
from juries.services import derive_outcome
from tests.factories.juries import ready_path
from tests.juries.conftest import current_decision, decide

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("mandatory", "held", "validated", "expected"),
    [
        ({1, 2}, set(), {1, 2}, Outcome.TOTAL),
        ({1, 2}, set(), {1, 2, 3}, Outcome.TOTAL),
        ({1, 2}, set(), {1}, Outcome.PARTIAL),
        ({1, 2}, set(), {3}, Outcome.PARTIAL),  # only an optional block
        ({1, 2}, set(), set(), Outcome.REFUSED),
        ({1, 2}, {1}, {2}, Outcome.TOTAL),  # a block already held counts
        ({1, 2}, {1}, set(), Outcome.REFUSED),  # nothing validated by this jury
    ],
)
def test_derived_outcome(mandatory, held, validated, expected):
    assert derive_outcome(mandatory=mandatory, held=held, validated=validated) == expected


def test_grid_rows_are_created_for_targeted_blocks(deliberating, path):
    decision = current_decision(path)
    assert sorted(bd.block.code for bd in decision.block_decisions.all()) == ["BC01", "BC02", "BC03"]
    assert decision.outcome == ""


def test_outcome_total_partial_refused_from_the_grid(deliberating, path, jury_member):
    decision = current_decision(path)
    decision = decide(decision, jury_member, {"BC01": True, "BC02": True, "BC03": False})
    assert decision.outcome == Outcome.TOTAL  # the optional block does not prevent a full award
    decision = decide(decision, jury_member, {"BC02": False})
    assert decision.outcome == Outcome.PARTIAL
    decision = decide(decision, jury_member, {"BC01": False})
    assert decision.outcome == Outcome.REFUSED
    decision = decide(decision, jury_member, {"BC01": None})
    assert decision.outcome == ""  # undecided


def test_blocks_already_held_are_not_decided_again(session, jury, version, branch_admin, jury_member, evaluator):
    import datetime

    path = ready_path(version, evaluator=evaluator, plans={"BC01": BlockPlan.HELD}, outcomes={"BC02": "acquired"})
    bc03 = version.blocks.get(code="BC03")
    AcquiredBlock.objects.create(
        candidate=path.candidate,
        block=bc03,
        source=AcquisitionSource.PRIOR_AWARD,
        acquired_on=datetime.date(2025, 1, 1),
    )
    services.dossier_add(session=session, path=path, by=branch_admin)
    services.jury_session_convene(session=session, by=branch_admin)
    services.jury_session_start_deliberation(session=session, by=jury_member)
    decision = current_decision(path)
    held = {bd.block.code for bd in decision.block_decisions.all() if bd.held}
    assert held == {"BC01", "BC03"}
    decision = decide(decision, jury_member, {"BC02": True})
    assert decision.outcome == Outcome.TOTAL
    with pytest.raises(RuleViolation, match="pas soumis à la décision du jury"):
        decide(decision, jury_member, {"BC01": False})


def test_two_members_saving_the_same_row_conflict_instead_of_overwriting(deliberating, path, jury):
    first, second = jury[0].user, jury[1].user
    decision = current_decision(path)
    read_version = decision.row_version
    bc01 = decision.block_decisions.get(block__code="BC01")
    services.decision_update(decision=decision, by=first, expected_version=read_version, blocks={bc01.block_id: True})
    with pytest.raises(Conflict) as exc:
        services.decision_update(
            decision=decision, by=second, expected_version=read_version, blocks={bc01.block_id: False}
        )
    assert "rechargez" in str(exc.value.message).lower()
    assert BlockDecision.objects.get(pk=bc01.pk).validated is True


def test_the_evaluator_of_a_candidate_may_not_decide_on_them(deliberating, path, branch_admin):
    # The path's evaluator sits on the jury (e.g. as an expert): excluded from this dossier.
    from cqp_portal.accounts.models import Role, RoleAssignment
    from juries.models import JuryMember

    RoleAssignment.objects.get_or_create(user=path.evaluator, role=Role.JURY_MEMBER)
    JuryMember.objects.create(session=deliberating, user=path.evaluator, college=College.EXPERT)
    decision = current_decision(path)
    with pytest.raises(RuleViolation, match="un lien"):
        decide(decision, path.evaluator, {"BC01": True})


def test_a_declared_link_excludes_the_member(deliberating, path, jury):
    member = jury[2]
    services.member_link_declare(member=member, candidate=path.candidate, kind="employer", by=member.user)
    with pytest.raises(RuleViolation, match="un lien"):
        decide(current_decision(path), member.user, {"BC01": True})


def test_an_absent_member_may_not_decide(deliberating, path, jury, jury_member):
    services.jury_member_set_presence(member=jury[1], present=False, by=jury_member)
    with pytest.raises(RuleViolation, match="absent"):
        decide(current_decision(path), jury[1].user, {"BC01": True})


def test_votes_with_the_presidents_casting_vote(deliberating, path, jury, jury_member):
    decision = decide(current_decision(path), jury_member, {"BC01": True, "BC02": True, "BC03": True})
    with pytest.raises(RuleViolation, match="voix prépondérante"):
        services.decision_record_votes(
            decision=decision, by=jury_member, votes={College.EMPLOYER: (1, 1, 0), College.EMPLOYEE: (1, 1, 0)}
        )
    services.decision_record_votes(
        decision=decision,
        by=jury_member,
        votes={College.EMPLOYER: (1, 1, 0), College.EMPLOYEE: (1, 1, 0)},
        casting_vote=True,
    )
    assert services.vote_adopted(decision) is True
    with pytest.raises(RuleViolation, match="pouvant voter"):
        services.decision_record_votes(decision=decision, by=jury_member, votes={College.EMPLOYER: (3, 0, 0)})
    with pytest.raises(Exception):  # noqa: B017 - only the president records votes
        services.decision_record_votes(decision=decision, by=jury[2].user, votes={College.EMPLOYER: (2, 0, 0)})
