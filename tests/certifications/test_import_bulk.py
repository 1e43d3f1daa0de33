"""The register import writes fiches in chunks: a fixed number of queries per chunk, the same
rules as a fiche-by-fiche import (published référentiels untouched, a faulty fiche skipped alone)."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from certifications.importing import reading, run_import, running, writing
from certifications.models import (
    Activity,
    Branch,
    Certification,
    Competency,
    ReferentialState,
    ReferentialVersion,
    Registration,
    SkillBlock,
)
from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import RuleViolation
from tests.certifications.test_importer import RNCP, export, fiche
from tests.factories.certifications import CertificationFactory, published_version

pytestmark = pytest.mark.django_db


def correspondence(source, target_number, target_code):
    return (
        f"<CORRESPONDANCES><CORRESPONDANCE><SOURCE><BLOC_COMPETENCES><CODE>{source}</CODE></BLOC_COMPETENCES>"
        f"</SOURCE><DESTINATION><NUMERO_FICHE>{target_number}</NUMERO_FICHE><BLOC_COMPETENCES>"
        f"<CODE>{target_code}</CODE></BLOC_COMPETENCES></DESTINATION></CORRESPONDANCE></CORRESPONDANCES>"
    )


def fiches(first, count, *, competencies="- Éplucher  - Tailler"):
    """``count`` CQP fiches of the branches 1979 / 3248, each linked to the next by a correspondence."""
    numbers = [f"RNCP{first + i}" for i in range(count)]
    return [
        fiche(
            number,
            ccn=("1979",) if i % 2 else ("3248",),
            blocks=[("BC01", "Préparer", competencies), ("BC02", "Cuire", "- Saisir  - Braiser")],
            extra=correspondence(f"{number}BC01", numbers[(i + 1) % count], f"{numbers[(i + 1) % count]}BC02"),
        )
        for i, number in enumerate(numbers)
    ]


def queries(path):
    with CaptureQueriesContext(connection) as captured:
        stats = run_import(path)
    return len(captured), stats


@pytest.fixture
def warm():
    """Branches and content types exist before either import, so both start from the same state."""
    for idcc in ("1979", "3248"):
        Branch.objects.create(idcc=idcc, name=f"Convention {idcc}")
    for model in (Certification, ReferentialVersion):
        ContentType.objects.get_for_model(model)


def test_queries_do_not_grow_with_the_number_of_fiches(tmp_path, warm):
    # Created: 5 fiches and 50 fiches take the same queries.
    small, stats = queries(export(tmp_path, *fiches(10000, 5), name="a5.xml"))
    assert stats.summary_line() == "fiches: 5 read, 5 created, 0 updated, 0 unchanged, 0 errors; blocks: 10"
    large, stats = queries(export(tmp_path, *fiches(20000, 50), name="a50.xml"))
    assert stats.summary_line() == "fiches: 50 read, 50 created, 0 updated, 0 unchanged, 0 errors; blocks: 100"
    assert large == small, (small, large)
    assert SkillBlock.objects.count() == 110
    assert Competency.objects.count() == 220
    assert AuditEntry.objects.filter(action="certification.import").count() == 55
    assert AuditEntry.objects.filter(action="referential.import", to_state="published").count() == 55
    from certifications.models import BlockEquivalence

    assert BlockEquivalence.objects.count() == 55

    # Unchanged: the same again.
    small, stats = queries(export(tmp_path, *fiches(10000, 5), name="a5.xml"))
    assert stats.unchanged == 5
    large, stats = queries(export(tmp_path, *fiches(20000, 50), name="a50.xml"))
    assert stats.unchanged == 50
    assert large == small, (small, large)

    # Changed content of a published référentiel: a new draft per fiche, same queries.
    small, stats = queries(export(tmp_path, *fiches(10000, 5, competencies="- Tailler"), name="b5.xml"))
    assert (stats.updated, stats.blocks) == (5, 10)
    large, stats = queries(export(tmp_path, *fiches(20000, 50, competencies="- Tailler"), name="b50.xml"))
    assert (stats.updated, stats.blocks) == (50, 100)
    assert large == small, (small, large)
    assert ReferentialVersion.objects.filter(state=ReferentialState.DRAFT).count() == 55

    # Changed again: the drafts are rewritten in place. Their old content goes through Django's
    # delete collector (as one draft's did before), which deletes 100 rows per statement:
    # 50 drafts hold 200 competencies, one DELETE more than 5 drafts.
    small, stats = queries(export(tmp_path, *fiches(10000, 5, competencies="- Dresser"), name="c5.xml"))
    assert stats.updated == 5
    large, stats = queries(export(tmp_path, *fiches(20000, 50, competencies="- Dresser"), name="c50.xml"))
    assert stats.updated == 50
    assert small <= large <= small + Competency.objects.filter(block__version__number=2).count() // 100
    assert ReferentialVersion.objects.count() == 110
    assert AuditEntry.objects.filter(action="referential.import_update").count() == 55


def test_queries_are_bounded_by_the_number_of_chunks(tmp_path, warm, monkeypatch):
    monkeypatch.setattr(running, "CHUNK", 10)
    one_chunk, _stats = queries(export(tmp_path, *fiches(10000, 10), name="a10.xml"))
    two_chunks, _stats = queries(export(tmp_path, *fiches(20000, 20), name="a20.xml"))
    five_chunks, stats = queries(export(tmp_path, *fiches(30000, 50), name="a50.xml"))
    assert stats.created == 50
    per_chunk = two_chunks - one_chunk
    assert per_chunk < 20  # about 15: one query per kind of row, not per fiche
    assert five_chunks == one_chunk + 4 * per_chunk


def test_a_changed_fiche_never_touches_the_published_version(tmp_path):
    """The register's new content becomes a draft based on the published version, which keeps
    its blocks; the draft keeps the published version's activities (domain.md, Versioning)."""
    run_import(export(tmp_path, fiche("RNCP99001"), name="a.xml"))
    certification = Registration.objects.get(number="RNCP99001").certification
    v1 = certification.versions.get()
    # An activity written while v1 was a draft, as the référentiel editor would. The database
    # never lets a published version go back to draft: its guard is lifted for this set-up only.
    table = ReferentialVersion._meta.db_table
    with connection.cursor() as cursor:
        # Deferred foreign-key checks must run before a table is altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER certifications_version_published_frozen")
        ReferentialVersion.objects.filter(pk=v1.pk).update(state=ReferentialState.DRAFT)
        Activity.objects.create(version=v1, title="Accueillir la clientèle")
        ReferentialVersion.objects.filter(pk=v1.pk).update(state=ReferentialState.PUBLISHED)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER certifications_version_published_frozen")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    before = list(SkillBlock.objects.filter(version=v1).values_list("pk", "code", "title"))

    changed = fiche(blocks=[("BC01", "Préparer", "- Éplucher"), ("BC03", "Servir", "- Dresser")])
    stats = run_import(export(tmp_path, changed, name="b.xml"))
    assert (stats.updated, stats.errors) == (1, 0)
    assert list(SkillBlock.objects.filter(version=v1).values_list("pk", "code", "title")) == before
    v2 = certification.versions.get(number=2)
    assert v2.state == ReferentialState.DRAFT and v2.based_on_id == v1.pk
    assert list(v2.activities.values_list("title", flat=True)) == ["Accueillir la clientèle"]
    assert list(v2.blocks.values_list("code", flat=True)) == ["RNCP99001BC01", "RNCP99001BC03"]


def test_the_bulk_writer_refuses_content_for_a_published_version():
    version = published_version(blocks=1)
    content = {"activities": [], "blocks": [{"code": "BC99", "title": "Nouveau", "competencies": ["x"]}]}
    with pytest.raises(RuleViolation, match="cannot be changed"):
        writing._write_contents([(version, content)])
    assert not SkillBlock.objects.filter(code="BC99").exists()


def test_the_database_refuses_a_multi_row_insert_touching_a_published_version():
    """The statement trigger checks every row of a bulk insert: one row of a published version
    in a statement with rows of a draft refuses the whole statement."""
    published = published_version(blocks=1)
    draft = ReferentialVersion.objects.create(certification=CertificationFactory(), number=1)
    draft_block = SkillBlock.objects.create(version=draft, code="BC01", title="Brouillon")
    published_block = published.blocks.get()
    rows = [(draft_block.pk, 0, "ok"), (published_block.pk, 9, "interdit"), (draft_block.pk, 1, "ok")]
    with pytest.raises(IntegrityError, match="cannot be changed"), transaction.atomic():
        writing._insert_rows(Competency, ["block", "order", "text"], rows)
    assert not Competency.objects.filter(text__in=["ok", "interdit"]).exists()
    writing._insert_rows(Competency, ["block", "order", "text"], [rows[0], rows[2]])
    assert draft_block.competencies.count() == 2


def test_a_fiche_refused_by_a_rule_is_skipped_alone(tmp_path, monkeypatch):
    real = writing._registration_values

    def refuse_one(data):
        if data["number"] == "RNCP99002":
            raise RuleViolation("refused for the test", code="test")
        return real(data)

    monkeypatch.setattr(writing, "_registration_values", refuse_one)
    stats = run_import(export(tmp_path, fiche("RNCP99001"), fiche("RNCP99002"), fiche("RNCP99003")))
    assert stats.summary_line() == "fiches: 3 read, 2 created, 0 updated, 0 unchanged, 1 errors; blocks: 4"
    assert stats.messages == ["skipped: RNCP99002: refused for the test"]
    assert sorted(Registration.objects.values_list("number", flat=True)) == ["RNCP99001", "RNCP99003"]
    assert not Certification.objects.filter(code="rncp99002").exists()


def test_the_same_fiche_twice_in_a_file(tmp_path):
    stats = run_import(export(tmp_path, fiche("RNCP99001"), fiche("RNCP99001")))
    assert stats.summary_line() == "fiches: 2 read, 1 created, 0 updated, 1 unchanged, 0 errors; blocks: 2"


def test_code_taken_by_another_certification_gets_a_suffix(tmp_path):
    CertificationFactory(code="rncp99001")
    run_import(export(tmp_path, fiche("RNCP99001")))
    assert Registration.objects.get(number="RNCP99001").certification.code == "rncp99001-fc"


def test_skipping_the_sanitiser_changes_no_text(monkeypatch):
    """Texts without markup skip nh3: the result must be what nh3 gives (else every fingerprint changes)."""
    from lxml import etree

    root = etree.parse(str(RNCP)).getroot()
    texts = [e.text or "" for e in root.iter("INTITULE", "LIBELLE", "LISTE_COMPETENCES", "MODALITES_EVALUATION")]
    texts += ["a > b \"c\" 'd' «é»\u00a0f", "- un\n- deux  - trois", "x\u2028y\u0085z", "  ;  "]
    fast = [(reading.clean_text(t), reading.split_competencies(t)) for t in texts]
    monkeypatch.setattr(reading, "NEEDS_SANITISING_RE", re.compile(r"(?s).|^"))  # nh3 for every text
    slow = [(reading.clean_text(t), reading.split_competencies(t)) for t in texts]
    assert fast == slow
