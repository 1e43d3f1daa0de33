"""The ledger pre-filling positioning, and the rules on block assessments."""

import datetime

import pytest
from django.utils import timezone, translation

from candidates import services
from candidates.ledger import held_blocks, ledger_add
from candidates.models import AcquisitionSource, BlockAssessment, BlockPlan, PathState
from candidates.selectors import assessment_divergences, current_assessments
from certifications.models import BlockEquivalence
from cqp_portal.errors import NotAllowed, RuleViolation
from tests.factories.candidates import AcquiredBlockFactory
from tests.factories.certifications import CertificationFactory, habilitate_evaluator, published_version

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- ledger ----------------------------------------------------------------------------


def test_ledger_add_computes_validity_from_the_certification(version, candidate, certification):
    block = version.blocks.first()
    row = ledger_add(
        candidate=candidate, block=block, source=AcquisitionSource.JURY_DECISION, acquired_on=datetime.date(2024, 1, 31)
    )
    assert row.valid_until is None  # acquired for good by default
    certification.block_validity_months = 60
    certification.save()
    row = ledger_add(
        candidate=candidate, block=version.blocks.last(), source="jury_decision", acquired_on=datetime.date(2024, 1, 31)
    )
    assert row.valid_until == datetime.date(2029, 1, 31)


def test_ledger_add_is_idempotent_per_path(make_path, candidate, version):
    path = make_path(PathState.READY_FOR_JURY)
    block = version.blocks.first()
    first = ledger_add(candidate=candidate, block=block, source="jury_decision", acquired_on=TODAY(), path=path)
    again = ledger_add(candidate=candidate, block=block, source="jury_decision", acquired_on=TODAY(), path=path)
    assert first == again


def test_positioning_recognises_blocks_held_directly_and_through_an_equivalence(
    make_path, evaluator, version, candidate
):
    bc01, bc02, bc03 = version.blocks.all()
    direct = AcquiredBlockFactory(candidate=candidate, block=bc01)
    other_version = published_version(CertificationFactory(), blocks=1)
    foreign = other_version.blocks.get()
    BlockEquivalence.objects.create(from_block=foreign, to_block=bc02, bidirectional=False)
    through = AcquiredBlockFactory(candidate=candidate, block=foreign, source=AcquisitionSource.PRIOR_AWARD)
    assert held_blocks(candidate, version, TODAY()) == {bc01.pk: direct, bc02.pk: through}

    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    rows = {r.block_id: r for r in path.path_blocks.all()}
    assert (rows[bc01.pk].plan, rows[bc01.pk].held_through) == (BlockPlan.HELD, direct)
    assert (rows[bc02.pk].plan, rows[bc02.pk].held_through) == (BlockPlan.HELD, through)
    assert (rows[bc03.pk].plan, rows[bc03.pk].held_through) == (BlockPlan.TO_TRAIN, None)


def test_an_equivalence_one_way_grants_nothing_the_other_way(version, candidate):
    bc01 = version.blocks.first()
    foreign = published_version(CertificationFactory(), blocks=1).blocks.get()
    BlockEquivalence.objects.create(from_block=foreign, to_block=bc01, bidirectional=False)
    AcquiredBlockFactory(candidate=candidate, block=bc01)
    assert held_blocks(candidate, foreign.version, TODAY()) == {}


def test_expired_and_revoked_blocks_are_not_counted(make_path, evaluator, version, candidate):
    bc01, bc02, _bc03 = version.blocks.all()
    AcquiredBlockFactory(candidate=candidate, block=bc01, valid_until=TODAY() - datetime.timedelta(days=1))
    AcquiredBlockFactory(candidate=candidate, block=bc02, revoked_at=timezone.now())
    assert held_blocks(candidate, version, TODAY()) == {}
    last_day = AcquiredBlockFactory(candidate=candidate, block=bc02, valid_until=TODAY())
    assert held_blocks(candidate, version, TODAY()) == {bc02.pk: last_day}

    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    assert path.path_blocks.get(block=bc01).plan == BlockPlan.TO_TRAIN
    with pytest.raises(RuleViolation, match="BC01 is not in the candidate's ledger"):
        services.path_confirm_positioning(
            path=path, by=evaluator, plans={b.pk: "held" for b in version.blocks.all()[:2]} | {_bc03.pk: "to_train"}
        )


def test_other_candidates_ledgers_do_not_count(version, candidate):
    AcquiredBlockFactory(block=version.blocks.first())
    assert held_blocks(candidate, version, TODAY()) == {}


# --- assessments -------------------------------------------------------------------------


@pytest.fixture
def evaluating(make_path):
    return make_path(PathState.IN_EVALUATION, plan=BlockPlan.TO_EVALUATE)


def test_an_assessment_records_each_criterion(evaluating, evaluator, version, django_capture_on_commit_callbacks):
    from django.core import mail

    block = version.blocks.first()
    c1, c2 = block.criteria.all()
    with django_capture_on_commit_callbacks(execute=True):
        assessment = services.assessment_record(
            path=evaluating,
            block=block,
            by=evaluator,
            modality=block.modalities.first(),
            assessed_on=TODAY(),
            outcome="acquired",
            criterion_results={c1.pk: True, c2.pk: False},
            comment="Bon service",
        )
    assert dict(assessment.criterion_results.values_list("criterion_id", "met")) == {c1.pk: True, c2.pk: False}
    assert assessment.assessor_role == "external"
    assert "évaluation" in mail.outbox[0].subject


def test_every_criterion_needs_a_result(evaluating, evaluator, version):
    block = version.blocks.first()
    with pytest.raises(RuleViolation, match="every criterion"):
        services.assessment_record(
            path=evaluating,
            block=block,
            by=evaluator,
            modality=block.modalities.first(),
            assessed_on=TODAY(),
            outcome="acquired",
            criterion_results={block.criteria.first().pk: True},
        )


def test_only_the_assigned_evaluator_assesses(evaluating, other_evaluator, certification, version, assess):
    habilitate_evaluator(certification, other_evaluator)
    with pytest.raises(NotAllowed):
        assess(evaluating, version.blocks.first(), other_evaluator)


def test_habilitation_on_the_assessment_date_bounds_included(evaluating, evaluator, certification, version, assess):
    habilitation = certification.habilitations.get(evaluator=evaluator)
    habilitation.valid_from = datetime.date(2025, 1, 10)
    habilitation.valid_until = datetime.date(2025, 12, 31)
    habilitation.save()
    b1, b2, b3 = version.blocks.all()
    assess(evaluating, b1, evaluator, on=datetime.date(2025, 1, 10))
    assess(evaluating, b2, evaluator, on=datetime.date(2025, 12, 31))
    for day in (datetime.date(2025, 1, 9), datetime.date(2026, 1, 1)):
        with pytest.raises(RuleViolation, match="not habilitated to evaluate this certification on"):
            assess(evaluating, b3, evaluator, on=day)


def test_assessments_happen_during_the_evaluation_phase(make_path, evaluator, version, assess):
    path = make_path(PathState.IN_COURSE, plan=BlockPlan.TO_TRAIN)
    with pytest.raises(RuleViolation, match="only possible from “In evaluation”"):
        assess(path, version.blocks.first(), evaluator)


def test_a_held_block_is_not_assessed(make_path, evaluator, version, assess):
    path = make_path(PathState.IN_EVALUATION, plan=BlockPlan.HELD)
    with pytest.raises(RuleViolation, match="not targeted by this path"):
        assess(path, version.blocks.first(), evaluator)


def test_the_trainer_may_not_assess_the_block_they_trained(evaluating, evaluator, certification, version, assess):
    block = version.blocks.first()
    evaluating.path_blocks.filter(block=block).update(trainer=evaluator)
    with pytest.raises(RuleViolation, match="You trained this candidate on block BC01"):
        assess(evaluating, block, evaluator)
    assess(evaluating, version.blocks.last(), evaluator)  # not their trainee on that block
    certification.trainer_may_not_evaluate = False
    certification.save()
    assess(evaluating, block, evaluator)


def test_future_dates_are_refused(evaluating, evaluator, version, assess):
    with pytest.raises(RuleViolation, match="future"):
        assess(evaluating, version.blocks.first(), evaluator, on=TODAY() + datetime.timedelta(days=1))


def test_double_evaluation_flags_divergences(evaluating, evaluator, other_evaluator, certification, version, assess):
    habilitate_evaluator(certification, other_evaluator)
    from candidates.models import Path

    Path.objects.filter(pk=evaluating.pk).update(workplace_tutor=other_evaluator)
    evaluating.refresh_from_db()
    b1, b2, _ = version.blocks.all()
    assess(evaluating, b1, evaluator, outcome="acquired")
    assess(evaluating, b1, other_evaluator, outcome="not_acquired")
    assess(evaluating, b2, evaluator, outcome="acquired")
    tutor = assess(evaluating, b2, other_evaluator, outcome="acquired")
    assert tutor.assessor_role == "workplace_tutor"
    assert assessment_divergences(evaluating) == {b1.pk}


def test_a_retake_during_evaluation_supersedes_the_previous_assessment(evaluating, evaluator, version, assess):
    block = version.blocks.first()
    first = assess(evaluating, block, evaluator, outcome="not_acquired")
    second = assess(evaluating, block, evaluator, outcome="acquired")
    assert second.supersedes == first
    assert current_assessments(evaluating)[block.pk] == [second]


def test_once_with_the_jury_only_a_reasoned_correction(make_path, evaluator, version, assess):
    path = make_path(PathState.IN_EVALUATION, plan=BlockPlan.TO_EVALUATE)
    block = version.blocks.first()
    original = assess(path, block, evaluator, outcome="not_acquired")
    for b in version.blocks.all()[1:]:
        assess(path, b, evaluator)
    path = services.path_submit_to_jury(path=path, by=evaluator)
    with pytest.raises(RuleViolation, match="can no longer be changed"):
        assess(path, block, evaluator)
    with pytest.raises(RuleViolation, match="can no longer be changed"):
        assess(path, block, evaluator, supersedes=original)
    correction = assess(path, block, evaluator, supersedes=original, correction_reason="Erreur de saisie")
    assert correction.supersedes == original and correction.correction_reason == "Erreur de saisie"
    with pytest.raises(RuleViolation, match="already superseded"):
        assess(path, block, evaluator, supersedes=original, correction_reason="encore")
    assert current_assessments(path)[block.pk] == [correction]
    original.refresh_from_db()
    assert original.outcome == "not_acquired"


def test_assessments_are_immutable_rows(evaluating, evaluator, version, assess):
    assessment = assess(evaluating, version.blocks.first(), evaluator)
    assessment.outcome = "not_acquired"
    with pytest.raises(TypeError):
        assessment.save()
    assert BlockAssessment.objects.get(pk=assessment.pk).outcome == "acquired"
