"""JSON export/import round trip, the diff, habilitation dates and equivalence lookups."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from certifications import services
from certifications.diff import diff_contents, diff_versions
from certifications.exchange import export_version, import_version, version_content
from certifications.models import ReferentialState
from certifications.selectors import equivalent_block_ids, is_habilitated
from cqp_portal.errors import RuleViolation
from tests.factories.certifications import habilitate_evaluator, habilitate_provider, published_version

pytestmark = pytest.mark.django_db


def test_json_round_trip_gives_an_identical_version(published, branch_admin):
    draft = services.version_new_from_published(certification=published.certification, by=branch_admin)
    services.activities_save(
        version=draft,
        by=branch_admin,
        activities=[{"title": "Accueil", "description": "En salle"}, {"title": "Service"}],
    )
    block = draft.blocks.first()
    services.block_save(
        version=draft,
        by=branch_admin,
        block=block,
        code=block.code,
        title="Accueillir « la clientèle »",
        mandatory=False,
        description="Ligne 1\nLigne 2",
        competencies=["Saluer", "Installer"],
        modalities=[{"kind": "interview", "description": "Entretien de 20 min"}, {"kind": "dossier"}],
        criteria=["Sourire", "Rapidité"],
    )
    document = json.loads(json.dumps(export_version(draft)))
    # The reworked block's correspondence is declared (certifications.version_mapping).
    previous = published.blocks.get(code=block.code)
    services.version_publish(version=draft, by=branch_admin, correspondences={previous.pk: [block.pk]})
    imported = import_version(data=document, by=branch_admin)
    assert imported.state == ReferentialState.DRAFT
    assert version_content(imported) == version_content(draft)
    assert export_version(imported) | {"version": None} == document | {"version": None}


def test_json_commands_round_trip(published, tmp_path):
    target = tmp_path / "v.json"
    call_command("export_referential", published.certification.code, "-o", str(target), stderr=StringIO())
    out = StringIO()
    call_command("import_referential", str(target), stdout=out)
    assert "Draft version 2" in out.getvalue()
    v2 = published.certification.versions.get(number=2)
    assert version_content(v2) == version_content(published)
    assert diff_versions(published, v2).is_empty


def test_json_import_refuses_a_bad_document(published, tmp_path):
    with pytest.raises(RuleViolation, match="not an exported"):
        import_version(data={"blocks": []}, by=None, certification=published.certification)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_referential", str(bad))


def test_diff_lists_blocks_and_competencies():
    old = {
        "activities": [],
        "blocks": [
            {"code": "BC01", "title": "Accueillir", "competencies": ["Saluer", "Installer", "Présenter"]},
            {"code": "BC02", "title": "Servir", "competencies": ["Porter", "Débarrasser"]},
        ],
    }
    new = {
        "activities": [],
        "blocks": [
            {"code": "BC01", "title": "Accueillir", "competencies": ["Saluer", "Installer à table", "Conseiller"]},
            {"code": "BC03", "title": "Encaisser", "competencies": ["Facturer", "Encaisser"]},
        ],
    }
    diff = diff_contents(old, new)
    assert [(b.code, b.kind) for b in diff.blocks] == [("BC01", "changed"), ("BC03", "added"), ("BC02", "removed")]
    changed = diff.by_kind("changed")[0]
    assert [(c.kind, c.old, c.new) for c in changed.competencies] == [
        ("changed", "Installer", "Installer à table"),
        ("changed", "Présenter", "Conseiller"),
    ]
    assert diff_contents(old, old).is_empty
    more = {
        "activities": [],
        "blocks": [{**old["blocks"][0], "competencies": ["Saluer", "Installer", "Présenter", "X"]}, old["blocks"][1]],
    }
    assert [(c.kind, c.new) for c in diff_contents(old, more).blocks[0].competencies] == [("added", "X")]
    fewer = {"activities": [], "blocks": [{**old["blocks"][0], "title": "Accueil"}, old["blocks"][1]]}
    assert diff_contents(old, fewer).blocks[0].fields == ["title"]


def test_diff_between_stored_versions(published, branch_admin):
    draft = services.version_new_from_published(certification=published.certification, by=branch_admin)
    services.block_save(
        version=draft,
        by=branch_admin,
        code="BC09",
        title="Nouveau",
        competencies=["A", "B"],
        modalities=[{"kind": "dossier"}],
        criteria=["K"],
    )
    diff = diff_versions(published, draft)
    assert [(b.code, b.kind) for b in diff.blocks] == [("BC09", "added")]
    reverse = diff_versions(draft, published)
    assert [(b.code, b.kind) for b in reverse.blocks] == [("BC09", "removed")]


# --- habilitations ----------------------------------------------------------------------------


def test_habilitation_dates_are_inclusive(cqp, evaluator, provider):
    habilitate_evaluator(cqp, evaluator, valid_from=datetime.date(2025, 1, 1), valid_until=datetime.date(2025, 12, 31))
    check = lambda day: is_habilitated(certification=cqp, on_date=day, evaluator=evaluator)  # noqa: E731
    assert not check(datetime.date(2024, 12, 31))
    assert check(datetime.date(2025, 1, 1))
    assert check(datetime.date(2025, 12, 31))
    assert not check(datetime.date(2026, 1, 1))
    habilitate_provider(cqp, provider, valid_from=datetime.date(2025, 1, 1))
    assert is_habilitated(certification=cqp, on_date=datetime.date(2099, 1, 1), training_provider=provider)


def test_habilitation_services(cqp, evaluator, branch_admin, other_branch_admin):
    from cqp_portal.errors import NotAllowed

    hab = services.habilitation_add(
        certification=cqp, by=branch_admin, evaluator=evaluator, valid_from=datetime.date(2025, 1, 1)
    )
    with pytest.raises(RuleViolation, match="already has a habilitation"):
        services.habilitation_add(
            certification=cqp, by=branch_admin, evaluator=evaluator, valid_from=datetime.date(2026, 1, 1)
        )
    with pytest.raises(NotAllowed):
        services.habilitation_add(
            certification=cqp, by=other_branch_admin, evaluator=evaluator, valid_from=datetime.date(2025, 1, 1)
        )
    with pytest.raises(RuleViolation, match="cannot end before"):
        services.habilitation_end(habilitation=hab, by=branch_admin, on_date=datetime.date(2024, 1, 1))
    services.habilitation_end(habilitation=hab, by=branch_admin, on_date=datetime.date(2025, 6, 30))
    assert is_habilitated(certification=cqp, on_date=datetime.date(2025, 6, 30), evaluator=evaluator)
    assert not is_habilitated(certification=cqp, on_date=datetime.date(2025, 7, 1), evaluator=evaluator)
    with pytest.raises(RuleViolation, match="end date"):
        services.habilitation_add(
            certification=cqp,
            by=branch_admin,
            evaluator=evaluator,
            valid_from=datetime.date(2027, 1, 2),
            valid_until=datetime.date(2027, 1, 1),
        )


# --- equivalences -----------------------------------------------------------------------------


def test_equivalence_lookup_in_both_directions(published, other_cqp, branch_admin):
    other = published_version(other_cqp, blocks=2)
    a, b = published.blocks.first(), other.blocks.first()
    services.equivalence_add(from_block=a, to_block=b, by=branch_admin, bidirectional=True)
    assert equivalent_block_ids([a.pk]) == {a.pk: {b.pk}}
    assert equivalent_block_ids([b.pk]) == {b.pk: {a.pk}}


def test_one_way_equivalence(published, other_cqp, branch_admin):
    other = published_version(other_cqp, blocks=2)
    a, b = published.blocks.first(), other.blocks.first()
    services.equivalence_add(from_block=a, to_block=b, by=branch_admin, bidirectional=False)
    assert equivalent_block_ids([a.pk]) == {a.pk: {b.pk}}
    assert equivalent_block_ids([b.pk]) == {b.pk: set()}
    with pytest.raises(RuleViolation, match="already exists"):
        services.equivalence_add(from_block=a, to_block=b, by=branch_admin)


def test_equivalence_within_one_certification_is_refused(published, branch_admin):
    a, b = published.blocks.all()[:2]
    with pytest.raises(RuleViolation, match="two different certifications"):
        services.equivalence_add(from_block=a, to_block=b, by=branch_admin)
