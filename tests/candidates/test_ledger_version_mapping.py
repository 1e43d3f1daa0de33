"""Coming back after a partial award on a newer référentiel version: the blocks validated on
version 1 are recognised on version 2 (and 3) through the correspondence recorded at
publication, and through the passerelles, with their original acquisition date."""

import datetime

import pytest
from django.utils import timezone, translation

from candidates import services
from candidates.ledger import held_blocks
from candidates.models import AccessRoute, AcquisitionSource, BlockPlan, PathState
from certifications import services as certification_services
from certifications.models import BlockEquivalence
from tests.factories.candidates import AcquiredBlockFactory, PathFactory
from tests.factories.certifications import CertificationFactory, published_version

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
AWARDED_ON = datetime.date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _publish_next(previous, by, *, retitle=None, remove=(), add=(), declare=None):
    """The next version of ``previous``'s référentiel, published with ``declare`` (old code →
    new codes) for the blocks that changed."""
    draft = certification_services.version_new_from_published(certification=previous.certification, by=by)
    for code in retitle or ():
        block = draft.blocks.get(code=code)
        certification_services.block_save(version=draft, by=by, block=block, code=code, title=f"{block.title} (v2)")
    for code in remove:
        certification_services.block_remove(block=draft.blocks.get(code=code), by=by)
    for code in add:
        certification_services.block_save(
            version=draft,
            by=by,
            code=code,
            title=f"Bloc {code}",
            competencies=["A", "B"],
            modalities=[{"kind": "interview"}],
            criteria=["C"],
        )
    old = {b.code: b.pk for b in previous.blocks.all()}
    new = {b.code: b.pk for b in draft.blocks.all()}
    correspondences = {old[o]: [new[n] for n in targets] for o, targets in (declare or {}).items()}
    return certification_services.version_publish(version=draft, by=by, correspondences=correspondences)


@pytest.fixture
def v2(version, branch_admin):
    """v1: BC01..BC03. v2: BC01 unchanged, BC02 retitled (declared → BC02), BC03 removed (no
    correspondence), BC04 added."""
    return _publish_next(
        version, branch_admin, retitle=["BC02"], remove=["BC03"], add=["BC04"], declare={"BC02": ["BC02"], "BC03": []}
    )


@pytest.fixture
def partial_award_on_v1(version, candidate):
    """The ledger after a partial award on v1: the three blocks validated."""
    return {
        b.code: AcquiredBlockFactory(candidate=candidate, block=b, acquired_on=AWARDED_ON, reference="Jury v1")
        for b in version.blocks.all()
    }


def codes(held):
    from certifications.models import SkillBlock

    return {SkillBlock.objects.get(pk=pk).code: row for pk, row in held.items()}


def test_blocks_validated_on_v1_are_held_on_v2_through_the_correspondence(v2, candidate, partial_award_on_v1):
    held = codes(held_blocks(candidate, v2, TODAY()))
    # BC01 automatically, BC02 as declared; BC03 had no correspondence and BC04 is new.
    assert held == {"BC01": partial_award_on_v1["BC01"], "BC02": partial_award_on_v1["BC02"]}
    assert {row.acquired_on for row in held.values()} == {AWARDED_ON}


def test_coming_back_on_v2_positioning_recognises_the_blocks(
    v2, candidate, partial_award_on_v1, evaluator, provider, habilitated
):
    path = PathFactory(
        version=v2,
        candidate=candidate,
        state=PathState.REGISTERED,
        evaluator=evaluator,
        training_provider=provider,
        access_route=AccessRoute.CONTINUING,
    )
    path = services.path_start_positioning(path=path, by=evaluator)
    rows = {r.block.code: r for r in path.path_blocks.select_related("block", "held_through")}
    assert {code: r.plan for code, r in rows.items()} == {
        "BC01": BlockPlan.HELD,
        "BC02": BlockPlan.HELD,
        "BC04": BlockPlan.TO_TRAIN,
    }
    # The ledger row of v1 holds the block: its acquisition date is the original one.
    assert rows["BC02"].held_through == partial_award_on_v1["BC02"]
    assert rows["BC02"].held_through.acquired_on == AWARDED_ON
    plans = {r.block_id: r.plan for r in rows.values()}
    services.path_confirm_positioning(path=path, by=evaluator, plans=plans)
    assert path.path_blocks.get(block__code="BC01").held_through == partial_award_on_v1["BC01"]


def test_correspondences_are_chained_across_versions(v2, branch_admin, candidate, partial_award_on_v1):
    v3 = _publish_next(v2, branch_admin, retitle=["BC02"], declare={"BC02": ["BC02", "BC04"]})
    held = codes(held_blocks(candidate, v3, TODAY()))
    # v1 BC02 → v2 BC02 → v3 BC02 and BC04 (a split); v1 BC01 unchanged all along.
    assert held == {
        "BC01": partial_award_on_v1["BC01"],
        "BC02": partial_award_on_v1["BC02"],
        "BC04": partial_award_on_v1["BC02"],
    }


def test_a_passerelle_to_v1_still_counts_on_v2(version, v2, candidate):
    foreign = published_version(CertificationFactory(), blocks=1).blocks.get()
    BlockEquivalence.objects.create(from_block=foreign, to_block=version.blocks.get(code="BC02"), bidirectional=False)
    row = AcquiredBlockFactory(candidate=candidate, block=foreign, source=AcquisitionSource.PRIOR_AWARD)
    assert codes(held_blocks(candidate, v2, TODAY())) == {"BC02": row}


def test_expired_v1_blocks_grant_nothing_on_v2(version, v2, candidate):
    AcquiredBlockFactory(
        candidate=candidate, block=version.blocks.get(code="BC01"), valid_until=TODAY() - datetime.timedelta(days=1)
    )
    assert held_blocks(candidate, v2, TODAY()) == {}


def test_without_correspondence_nothing_is_recognised(version, candidate, partial_award_on_v1):
    """A v2 published outside the publication service (as an import writes it) has no
    correspondence: v1's blocks are not held on it, even with the same codes."""
    v2 = published_version(version.certification, blocks=2)
    assert held_blocks(candidate, v2, TODAY()) == {}


def test_demo_candidate_comes_back_on_v2_with_the_v1_blocks():
    """make run's demo: Tom Boyer, partially awarded on v1 of the régleur CQP, comes back after the
    CPNE published v2; the blocks validated on v1 are held on v2 with their v1 ledger rows."""
    from django.core.management import call_command

    from candidates.models import Path

    call_command("seed_demo")
    first, comeback = Path.objects.filter(candidate__birth_name__iexact="Boyer").order_by("pk")
    assert (first.version.number, first.state) == (1, PathState.PARTIALLY_AWARDED)
    assert (comeback.version.number, comeback.state) == (2, PathState.POSITIONING)
    held = {
        r.block.code: r.held_through
        for r in comeback.path_blocks.select_related("block", "held_through__block")
        if r.plan == BlockPlan.HELD
    }
    assert set(held) == {"RNCP38002BC01", "RNCP38002BC02"}
    assert {row.block.version_id for row in held.values()} == {first.version_id}
    assert comeback.version.block_mappings.filter(automatic=False).count() == 1  # BC02, declared
