"""Certification rules: ownership (CQP/CQPI/external), registrations, publication, versions."""

import datetime

import pytest

from certifications import services
from certifications.models import (
    CertificationKind,
    Competency,
    ReferentialState,
    Register,
    SkillBlock,
)
from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import NotAllowed, RuleViolation
from tests.factories.certifications import (
    BranchFactory,
    CertificationFactory,
    ReferentialVersionFactory,
    SkillBlockFactory,
)

pytestmark = pytest.mark.django_db


# --- ownership -------------------------------------------------------------------------------


def test_cqpi_needs_two_branches(branch, branch_admin):
    with pytest.raises(RuleViolation, match="at least two branches") as exc:
        services.certification_create(
            by=branch_admin, kind=CertificationKind.CQPI, code="x", title="X", branches=[branch]
        )
    assert exc.value.field == "branches"


def test_cqpi_with_two_branches_is_created(branch, other_branch, branch_admin):
    cert = services.certification_create(
        by=branch_admin, kind=CertificationKind.CQPI, code="cqpi-x", title="X", branches=[branch, other_branch]
    )
    assert set(cert.branches.all()) == {branch, other_branch}
    assert AuditEntry.objects.for_object(cert).filter(action="certification.create").exists()


def test_cqp_has_exactly_one_branch(branch, other_branch, branch_admin):
    with pytest.raises(RuleViolation, match="exactly one branch"):
        services.certification_create(
            by=branch_admin, kind=CertificationKind.CQP, code="x", title="X", branches=[branch, other_branch]
        )
    with pytest.raises(RuleViolation, match="exactly one branch"):
        services.certification_create(by=None, kind=CertificationKind.CQP, code="x", title="X", branches=[])


def test_external_certification_has_no_branch(branch):
    with pytest.raises(RuleViolation, match="no owning branch"):
        services.certification_create(by=None, kind=CertificationKind.EXTERNAL, code="x", title="X", branches=[branch])


def test_editing_a_cqpi_down_to_one_branch_is_refused(cqpi, branch, branch_admin):
    with pytest.raises(RuleViolation, match="at least two branches"):
        services.certification_update(certification=cqpi, by=branch_admin, branches=[branch])
    assert cqpi.branches.count() == 2


def test_admin_cannot_create_for_another_branch(other_branch, branch_admin):
    with pytest.raises(NotAllowed):
        services.certification_create(
            by=branch_admin, kind=CertificationKind.CQP, code="x", title="X", branches=[other_branch]
        )


def test_reasoned_appeal_needs_deadline_and_body(cqp, branch_admin):
    with pytest.raises(RuleViolation, match="deadline"):
        services.certification_update(certification=cqp, by=branch_admin, appeal_policy="reasoned")
    services.certification_update(
        certification=cqp, by=branch_admin, appeal_policy="reasoned", appeal_deadline_days=30, appeal_body="CPNE"
    )
    cqp.refresh_from_db()
    assert cqp.appeal_deadline_days == 30


# --- registrations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("register", "number", "level", "message"),
    [
        (Register.RNCP, "RNCP12", 3, "RNCP12345"),
        (Register.RNCP, "RS1234", 3, "RNCP12345"),
        (Register.RNCP, "RNCP12345", None, "level from 3 to 8"),
        (Register.RNCP, "RNCP12345", 9, "level from 3 to 8"),
        (Register.RNCP, "RNCP12345", 2, "level from 3 to 8"),
        (Register.RS, "RS1234", 3, "no level"),
        (Register.RS, "RNCP1234", None, "RS1234"),
    ],
)
def test_registration_number_and_level(cqp, branch_admin, register, number, level, message):
    with pytest.raises(RuleViolation, match=message):
        services.registration_set(certification=cqp, by=branch_admin, register=register, number=number, level=level)


def test_valid_registrations(cqp, other_cqp, branch_admin):
    reg = services.registration_set(
        certification=cqp, by=branch_admin, register=Register.RNCP, number="RNCP12345", level=8, access_routes=["vae"]
    )
    assert reg.level == 8 and reg.allows("vae")
    reg = services.registration_set(certification=other_cqp, by=None, register=Register.RS, number="RS55")
    assert reg.level is None


def test_registration_active_on_date_is_computed(cqp):
    reg = services.registration_set(
        certification=cqp,
        by=None,
        register=Register.RNCP,
        number="RNCP12345",
        level=3,
        decision_date=datetime.date(2024, 1, 1),
        end_date=datetime.date(2028, 12, 31),
        last_delivery_date=datetime.date(2029, 6, 30),
    )
    assert reg.is_active_on(datetime.date(2028, 12, 31))
    assert not reg.is_active_on(datetime.date(2029, 1, 1))
    assert reg.can_deliver_on(datetime.date(2029, 6, 30))
    assert not reg.can_deliver_on(datetime.date(2029, 7, 1))


# --- publication -------------------------------------------------------------------------------


def test_publish_lists_every_problem_at_once(cqp, branch_admin):
    version = services.version_create_draft(certification=cqp, by=branch_admin)
    services.block_save(version=version, by=branch_admin, code="BC01", title="Accueillir", competencies=["Saluer"])
    services.block_save(
        version=version,
        by=branch_admin,
        code="BC02",
        title="Servir",
        competencies=["Porter", "Débarrasser"],
        modalities=[{"kind": "practical_situation"}],
        criteria=["Sans casse"],
    )
    with pytest.raises(RuleViolation) as exc:
        services.version_publish(version=version, by=branch_admin)
    messages = [str(p) for p in exc.value.details]
    assert len(messages) == 3, messages
    assert any("BC01" in m and "at least 2" in m for m in messages)
    assert any("BC01" in m and "modality" in m for m in messages)
    assert any("BC01" in m and "criterion" in m for m in messages)
    assert {p.field for p in exc.value.details} == {"competencies", "modalities", "criteria"}
    version.refresh_from_db()
    assert version.state == ReferentialState.DRAFT


def test_publish_refuses_an_empty_referential(cqp, branch_admin):
    version = services.version_create_draft(certification=cqp, by=branch_admin)
    with pytest.raises(RuleViolation) as exc:
        services.version_publish(version=version, by=branch_admin)
    assert [p.field for p in exc.value.details] == ["blocks"]


def test_publish_refuses_duplicate_block_codes():
    version = ReferentialVersionFactory()
    SkillBlockFactory(version=version, code="BC01")
    SkillBlockFactory(version=version, code="bc01")
    problems = services.publication_problems(version)
    assert [p.field for p in problems] == ["code"]
    assert "unique" in problems[0].message


def test_block_code_unique_when_editing(cqp, branch_admin):
    version = services.version_create_draft(certification=cqp, by=branch_admin)
    services.block_save(version=version, by=branch_admin, code="BC01", title="A")
    with pytest.raises(RuleViolation, match="already used"):
        services.block_save(version=version, by=branch_admin, code="bc01", title="B")


def test_publish_and_retire_are_audited(cqp, branch_admin):
    version = services.version_create_draft(certification=cqp, by=branch_admin)
    for code in ("BC01", "BC02"):
        services.block_save(
            version=version,
            by=branch_admin,
            code=code,
            title=f"Bloc {code}",
            competencies=["C1", "C2"],
            modalities=[{"kind": "interview", "description": "Entretien"}],
            criteria=["K1"],
        )
    services.version_publish(version=version, by=branch_admin)
    version.refresh_from_db()
    assert version.state == ReferentialState.PUBLISHED and version.published_at
    services.version_retire(version=version, by=branch_admin)
    version.refresh_from_db()
    assert version.state == ReferentialState.RETIRED
    actions = list(AuditEntry.objects.for_object(version).values_list("action", "from_state", "to_state"))
    assert ("referential.publish", "draft", "published") in actions
    assert ("referential.retire", "published", "retired") in actions


def test_publishing_twice_is_refused(published, branch_admin):
    with pytest.raises(RuleViolation, match="cannot be changed"):
        services.version_publish(version=published, by=branch_admin)


def test_other_branch_admin_cannot_publish(cqp, other_branch_admin):
    version = ReferentialVersionFactory(certification=cqp)
    SkillBlockFactory(version=version)
    with pytest.raises(NotAllowed):
        services.version_publish(version=version, by=other_branch_admin)


def test_cqpi_is_editable_by_both_owning_branches(cqpi, branch_admin, other_branch_admin):
    version = services.version_create_draft(certification=cqpi, by=branch_admin)
    services.block_save(version=version, by=other_branch_admin, code="BC01", title="Tutorer")
    assert version.blocks.count() == 1


# --- new version, immutability of published versions ----------------------------------------


def test_new_version_copies_the_published_one(published, branch_admin):
    draft = services.version_new_from_published(certification=published.certification, by=branch_admin)
    assert draft.state == ReferentialState.DRAFT
    assert draft.number == published.number + 1
    assert draft.based_on == published
    from certifications.exchange import version_content

    assert version_content(draft) == version_content(published)
    with pytest.raises(RuleViolation, match="already a draft"):
        services.version_new_from_published(certification=published.certification, by=branch_admin)


def test_service_refuses_to_edit_a_published_version(published, branch_admin):
    block = published.blocks.first()
    with pytest.raises(RuleViolation, match="cannot be changed"):
        services.block_save(version=published, by=branch_admin, block=block, code=block.code, title="Changé")
    with pytest.raises(RuleViolation, match="cannot be changed"):
        services.block_remove(block=block, by=branch_admin)
    with pytest.raises(RuleViolation, match="cannot be changed"):
        services.activities_save(version=published, by=branch_admin, activities=[{"title": "x"}])
    block.refresh_from_db()
    assert block.title != "Changé"


def test_model_guard_refuses_save_and_delete(published):
    block = published.blocks.first()
    block.title = "Changé"
    with pytest.raises(RuleViolation):
        block.save()
    with pytest.raises(RuleViolation):
        block.delete()
    competency = block.competencies.first()
    competency.text = "Changé"
    with pytest.raises(RuleViolation):
        competency.save()
    with pytest.raises(RuleViolation):
        Competency.objects.create(block=block, text="Nouvelle")
    with pytest.raises(RuleViolation):
        SkillBlock.objects.create(version=published, code="BC99", title="Nouveau")
    published.summary = "Changé"
    with pytest.raises(RuleViolation):
        published.save()


def test_queryset_update_and_delete_are_refused(published):
    with pytest.raises(RuleViolation):
        SkillBlock.objects.filter(version=published).update(title="Changé")
    with pytest.raises(RuleViolation):
        Competency.objects.filter(block__version=published).delete()
    assert not SkillBlock.objects.filter(title="Changé").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE certifications_skillblock SET title = 'x' WHERE version_id = %(v)s",
        "DELETE FROM certifications_competency WHERE block_id IN "
        "(SELECT id FROM certifications_skillblock WHERE version_id = %(v)s)",
        "UPDATE certifications_criterion SET text = 'x' WHERE block_id IN "
        "(SELECT id FROM certifications_skillblock WHERE version_id = %(v)s)",
        "DELETE FROM certifications_evaluationmodality WHERE block_id IN "
        "(SELECT id FROM certifications_skillblock WHERE version_id = %(v)s)",
        "INSERT INTO certifications_activity (version_id, \"order\", title, description) VALUES (%(v)s, 0, 'x', '')",
        'INSERT INTO certifications_skillblock (version_id, code, title, "order", mandatory, description) '
        "VALUES (%(v)s, 'BC99', 'x', 9, true, '')",
    ],
)
def test_raw_sql_is_refused_by_the_database(published, sql):
    from django.db import IntegrityError, connection, transaction

    with pytest.raises(IntegrityError, match="cannot be changed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"v": published.pk})


def test_raw_sql_on_a_draft_is_allowed(cqp):
    from django.db import connection

    draft = ReferentialVersionFactory(certification=cqp)
    SkillBlockFactory(version=draft, code="BC01")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE certifications_skillblock SET title = 'ok' WHERE version_id = %s", [draft.pk])
    assert draft.blocks.get().title == "ok"


def test_a_draft_can_be_deleted_with_its_content(cqp, branch_admin):
    draft = ReferentialVersionFactory(certification=cqp)
    SkillBlockFactory(version=draft)
    services.version_delete_draft(version=draft, by=branch_admin)
    assert not cqp.versions.exists()


def test_published_version_cannot_be_deleted(published, branch_admin):
    with pytest.raises(RuleViolation):
        services.version_delete_draft(version=published, by=branch_admin)
    with pytest.raises(RuleViolation):
        published.delete()


def test_blocks_of_unrelated_branch_factories_still_work():
    cert = CertificationFactory(branches=[BranchFactory()])
    assert cert.branches.count() == 1
