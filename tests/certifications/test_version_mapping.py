"""The correspondence between référentiel versions: automatic for unchanged blocks, declared for
the others at publication, refused while one is missing, chained across versions, immutable."""

import pytest
from django.db import IntegrityError, connection, transaction

from certifications import services
from certifications.models import BlockVersionMapping, ReferentialState
from certifications.version_mapping import granted_block_ids, mapping_plan, successor_block_ids
from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import RuleViolation
from tests.factories.certifications import CertificationFactory, published_version

pytestmark = pytest.mark.django_db


def new_draft(published, by):
    return services.version_new_from_published(certification=published.certification, by=by)


def rework(draft, by, code="BC02", **changes):
    block = draft.blocks.get(code=code)
    values = {"code": changes.pop("new_code", block.code), "title": block.title} | changes
    return services.block_save(version=draft, by=by, block=block, **values)


def add_block(draft, by, code, title="Nouveau bloc"):
    return services.block_save(
        version=draft,
        by=by,
        code=code,
        title=title,
        competencies=["Compétence A", "Compétence B"],
        modalities=[{"kind": "interview"}],
        criteria=["Critère A"],
    )


def old(published, code):
    return published.blocks.get(code=code)


# --- automatic mapping and "same content" -----------------------------------------------------


def test_unchanged_blocks_are_mapped_automatically_and_the_others_are_to_declare(published, reworked):
    plan = mapping_plan(reworked)
    assert plan.previous == published
    assert [(o.code, n.code) for o, n in plan.automatic] == [("BC01", "BC01")]
    assert [(item.block.code, item.change) for item in plan.to_declare] == [("BC02", "changed"), ("BC03", "removed")]


@pytest.mark.parametrize(
    "changes, automatic",
    [
        ({"description": "Nouvelle description", "mandatory": False}, True),
        ({"modalities": [{"kind": "interview", "description": "Entretien"}]}, True),
        ({"new_code": " bc02"}, True),  # codes match as the diff matches them: trimmed, case-insensitive
        ({"title": "Autre intitulé"}, False),
        ({"competencies": ["Compétence 1 du BC02", "Compétence 2 reformulée"]}, False),
        ({"competencies": ["Compétence 2 du BC02", "Compétence 1 du BC02"]}, False),  # order counts
        ({"criteria": ["Critère 1 du BC02"]}, False),
    ],
)
def test_same_content_is_code_title_competencies_and_criteria(published, branch_admin, changes, automatic):
    draft = new_draft(published, branch_admin)
    rework(draft, branch_admin, **changes)
    plan = mapping_plan(draft)
    assert ("BC02" in {o.code for o, _n in plan.automatic}) is automatic


# --- publication with declarations ------------------------------------------------------------


def test_publication_is_refused_while_a_block_is_undeclared_and_nothing_is_written(published, reworked, branch_admin):
    with pytest.raises(RuleViolation) as exc:
        services.version_publish(version=reworked, by=branch_admin, correspondences={old(published, "BC02").pk: []})
    assert exc.value.code == "block_mapping_invalid"
    assert exc.value.field == "correspondences"
    [problem] = exc.value.details
    assert problem.block_id == old(published, "BC03").pk and "BC03" in problem.message
    reworked.refresh_from_db()
    assert reworked.state == ReferentialState.DRAFT
    assert not BlockVersionMapping.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["referential.publish", "referential.block_mapping"]).exists()


def test_publication_records_automatic_and_declared_correspondences_with_an_audit_row(
    published, reworked, branch_admin
):
    new = {b.code: b for b in reworked.blocks.all()}
    services.version_publish(
        version=reworked,
        by=branch_admin,
        correspondences={old(published, "BC02").pk: [new["BC02"].pk, new["BC04"].pk], old(published, "BC03").pk: []},
    )
    rows = {
        (m.old_block.code, m.new_block.code if m.new_block else None, m.automatic)
        for m in BlockVersionMapping.objects.filter(version=reworked).select_related("old_block", "new_block")
    }
    assert rows == {("BC01", "BC01", True), ("BC02", "BC02", False), ("BC02", "BC04", False), ("BC03", None, False)}
    entry = AuditEntry.objects.for_object(reworked).get(action="referential.block_mapping")
    assert entry.actor == branch_admin
    assert entry.changes == {
        "previous_version": 1,
        "automatic": {"BC01": "BC01"},
        "declared": {"BC02": ["BC02", "BC04"], "BC03": []},
    }


@pytest.mark.parametrize("wrong", ["automatic_block", "unknown_block", "block_of_other_version"])
def test_wrong_declarations_are_refused_on_their_block(published, reworked, branch_admin, wrong):
    declared = {old(published, "BC02").pk: [], old(published, "BC03").pk: []}
    if wrong == "automatic_block":
        declared[old(published, "BC01").pk] = []
        culprit = old(published, "BC01").pk
    elif wrong == "unknown_block":
        other = published_version(CertificationFactory(), blocks=1)
        culprit = other.blocks.get().pk
        declared[culprit] = []
    else:
        culprit = old(published, "BC02").pk
        declared[culprit] = [old(published, "BC01").pk]  # a block of v1, not of v2
    with pytest.raises(RuleViolation) as exc:
        services.version_publish(version=reworked, by=branch_admin, correspondences=declared)
    assert [p.block_id for p in exc.value.details] == [culprit]
    assert not BlockVersionMapping.objects.exists()


def test_a_first_version_has_nothing_to_declare(cqp, branch_admin):
    draft = services.version_create_draft(certification=cqp, by=branch_admin)
    add_block(draft, branch_admin, "BC01")
    with pytest.raises(RuleViolation, match="no previous version"):
        services.version_publish(version=draft, by=branch_admin, correspondences={1: []})
    services.version_publish(version=draft, by=branch_admin)
    assert not BlockVersionMapping.objects.exists()


def test_an_empty_draft_after_a_published_version_declares_every_block(published, branch_admin):
    draft = services.version_create_draft(certification=published.certification, by=branch_admin)
    new = add_block(draft, branch_admin, "NEW01")
    assert [i.block.code for i in mapping_plan(draft).to_declare] == ["BC01", "BC02", "BC03"]
    services.version_publish(
        version=draft, by=branch_admin, correspondences={b.pk: [new.pk] for b in published.blocks.all()}
    )
    assert BlockVersionMapping.objects.filter(version=draft, new_block=new).count() == 3


# --- chains and passerelles -------------------------------------------------------------------


def publish_v3(v2, branch_admin):
    """v3 from v2: BC04 retitled and declared → BC04, the rest unchanged."""
    v3 = services.version_new_from_published(certification=v2.certification, by=branch_admin)
    rework(v3, branch_admin, code="BC04", title="Bloc 4 refondu")
    services.version_publish(
        version=v3,
        by=branch_admin,
        correspondences={v2.blocks.get(code="BC04").pk: [v3.blocks.get(code="BC04").pk]},
    )
    return v3


def test_successors_are_followed_across_versions(published, reworked, branch_admin):
    new = {b.code: b for b in reworked.blocks.all()}
    services.version_publish(
        version=reworked,
        by=branch_admin,
        correspondences={old(published, "BC02").pk: [new["BC04"].pk], old(published, "BC03").pk: []},
    )
    v3 = publish_v3(reworked, branch_admin)
    v3_blocks = {b.code: b.pk for b in v3.blocks.all()}
    successors = successor_block_ids([old(published, c).pk for c in ("BC01", "BC02", "BC03")])
    assert successors[old(published, "BC01").pk] == {new["BC01"].pk, v3_blocks["BC01"]}
    assert successors[old(published, "BC02").pk] == {new["BC04"].pk, v3_blocks["BC04"]}
    assert successors[old(published, "BC03").pk] == set()  # "no correspondence"


def test_passerelles_combine_with_the_correspondence(published, branch_admin, other_cqp, other_branch_admin):
    """A passerelle from another CQP's block to v1 still counts on v2 (through the correspondence),
    and a v1 block's own successor keeps the passerelles declared on it."""
    other = published_version(other_cqp, blocks=1)
    foreign = other.blocks.get()
    services.equivalence_add(from_block=foreign, to_block=old(published, "BC01"), by=other_branch_admin)
    draft = new_draft(published, branch_admin)
    services.version_publish(version=draft, by=branch_admin)  # nothing changed: all automatic
    v2_bc01 = draft.blocks.get(code="BC01").pk
    assert v2_bc01 in granted_block_ids([foreign.pk])[foreign.pk]
    # The passerelle is bidirectional: holding v1's BC01 grants the foreign block too.
    assert foreign.pk in granted_block_ids([old(published, "BC01").pk])[old(published, "BC01").pk]


# --- immutability -----------------------------------------------------------------------------


@pytest.fixture
def recorded(published, reworked, branch_admin):
    services.version_publish(
        version=reworked,
        by=branch_admin,
        correspondences={old(published, "BC02").pk: [], old(published, "BC03").pk: []},
    )
    return reworked


def test_recorded_correspondence_is_refused_by_the_model_guards(recorded):
    mapping = BlockVersionMapping.objects.filter(version=recorded, new_block__isnull=True).first()
    with pytest.raises(RuleViolation, match="cannot be changed"):
        mapping.save()
    with pytest.raises(RuleViolation, match="cannot be changed"):
        mapping.delete()
    with pytest.raises(RuleViolation, match="cannot be changed"):
        BlockVersionMapping.objects.filter(version=recorded).update(new_block=None)
    with pytest.raises(RuleViolation, match="cannot be changed"):
        BlockVersionMapping.objects.create(version=recorded, old_block=mapping.old_block, new_block=None)
    assert BlockVersionMapping.objects.filter(version=recorded).count() == 3


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE certifications_blockversionmapping SET new_block_id = NULL, automatic = false WHERE version_id = %(v)s",
        "DELETE FROM certifications_blockversionmapping WHERE version_id = %(v)s",
        "INSERT INTO certifications_blockversionmapping (version_id, old_block_id, new_block_id, automatic, "
        "created_at) SELECT %(v)s, b.id, NULL, false, now() FROM certifications_skillblock b "
        "WHERE b.version_id = %(v)s LIMIT 1",
    ],
)
def test_recorded_correspondence_is_refused_by_the_database(recorded, sql):
    assert connection.vendor == "postgresql"
    with pytest.raises(IntegrityError, match="cannot be changed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"v": recorded.pk})
    assert BlockVersionMapping.objects.filter(version=recorded).count() == 3
