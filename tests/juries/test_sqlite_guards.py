"""The same back doors closed on SQLite (``make run``): a real SQLite file migrated by
``manage.py migrate`` in a subprocess, then written to with the sqlite3 module (raw SQL, no
Django in the way). Foreign keys are off in a bare sqlite3 connection, so rows are inserted
without their parents: only the guards are under test."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cqp_portal import dbguards

ROOT = Path(__file__).resolve().parents[2]


def _migrate(env) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=900
    )


@pytest.fixture(scope="module")
def sqlite_env(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite-guards") / "portal.sqlite3"
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{path}"}
    _migrate(env)
    return path, env


@pytest.fixture
def db(sqlite_env):
    connection = sqlite3.connect(sqlite_env[0], isolation_level=None)
    connection.execute("BEGIN")
    yield connection
    connection.execute("ROLLBACK")  # each test leaves the file as migrated
    connection.close()


def insert(db, table, **values) -> int:
    """Insert a row, filling the NOT NULL columns the test does not care about."""
    for _cid, name, kind, notnull, default, pk in db.execute(f"PRAGMA table_info({table})"):
        if notnull and not pk and default is None and name not in values:
            kind = kind.lower()
            values[name] = 1 if ("int" in kind or "bool" in kind) else ("2026-01-01" if "date" in kind else "x")
    columns = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join("?" for _ in values)
    return db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values())).lastrowid  # noqa: S608


def refused(db, sql, params=(), rule=""):
    with pytest.raises(sqlite3.IntegrityError, match=f"cqp-integrity:{rule}"):
        db.execute(sql, params)


def test_every_guard_is_installed_by_migrate(db):
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    from django.apps import apps

    expected = {name for build in dbguards.GUARDS.values() for name in build(apps)}
    assert expected <= names


def test_the_audit_trail_is_append_only(db):
    entry = insert(db, "audit_auditentry", content_type_id=1, object_id="1", action="test", changes="{}")
    refused(db, "UPDATE audit_auditentry SET note = 'x' WHERE id = ?", [entry], "audit")
    refused(db, "DELETE FROM audit_auditentry WHERE id = ?", [entry], "audit")


def test_a_final_decision_changes_only_to_be_superseded(db):
    final = insert(db, "juries_decision", dossier_id=1, state="final", outcome="partial", is_current=1)
    refused(db, "UPDATE juries_decision SET outcome = 'total' WHERE id = ?", [final], "final-decision")
    refused(db, "DELETE FROM juries_decision WHERE id = ?", [final], "final-decision")
    refused(db, "UPDATE juries_decision SET is_current = 0 WHERE id = ?", [final], "final-decision")
    block = insert(db, "juries_blockdecision", decision_id=final, block_id=1, held=0, validated=0)
    refused(db, "UPDATE juries_blockdecision SET validated = 1 WHERE id = ?", [block], "final-decision")
    refused(db, "DELETE FROM juries_blockdecision WHERE id = ?", [block], "final-decision")
    # The correction: the new decision first, then the old one stops being current; nothing else.
    insert(
        db, "juries_decision", dossier_id=1, state="proposed", is_current=0, supersedes_id=final, correction_reason="r"
    )
    refused(db, "UPDATE juries_decision SET is_current = 0, reasons = 'y' WHERE id = ?", [final], "final-decision")
    db.execute("UPDATE juries_decision SET is_current = 0 WHERE id = ?", [final])
    refused(db, "UPDATE juries_decision SET is_current = 1 WHERE id = ?", [final], "final-decision")
    proposed = insert(db, "juries_decision", dossier_id=2, state="proposed", is_current=1)
    db.execute("UPDATE juries_decision SET reasons = 'brouillon', state = 'final' WHERE id = ?", [proposed])


def test_a_certificate_is_never_deleted(db):
    certificate = insert(
        db, "certificates_certificate", path_id=1, certification_id=1, decision_id=1, nsf_codes="[]", branch_names="[]"
    )
    refused(db, "DELETE FROM certificates_certificate WHERE id = ?", [certificate], "certificate")
    db.execute("UPDATE certificates_certificate SET number = 'CQP-X-2026-000002' WHERE id = ?", [certificate])


def test_a_registered_path_keeps_its_version(db):
    draft = insert(db, "candidates_path", candidate_id=1, certification_id=1, version_id=1, state="draft")
    db.execute("UPDATE candidates_path SET version_id = 2 WHERE id = ?", [draft])
    path = insert(db, "candidates_path", candidate_id=1, certification_id=1, version_id=1, state="registered")
    refused(db, "UPDATE candidates_path SET version_id = 2 WHERE id = ?", [path], "path-version")
    refused(db, "UPDATE candidates_path SET certification_id = 2 WHERE id = ?", [path], "path-version")
    db.execute("UPDATE candidates_path SET state = 'positioning', version_id = 1 WHERE id = ?", [path])


def test_a_published_version_is_immutable_except_its_retirement(db):
    table = "certifications_referentialversion"
    version = insert(db, table, certification_id=1, number=1, state="published", summary="v1")
    refused(db, f"UPDATE {table} SET summary = 'v1 bis' WHERE id = ?", [version], "published-version")  # noqa: S608
    refused(db, f"UPDATE {table} SET state = 'draft' WHERE id = ?", [version], "published-version")  # noqa: S608
    refused(db, f"DELETE FROM {table} WHERE id = ?", [version], "published-version")  # noqa: S608
    db.execute(f"UPDATE {table} SET state = 'retired', retired_at = '2026-06-01' WHERE id = ?", [version])  # noqa: S608
    refused(db, f"UPDATE {table} SET retired_at = NULL WHERE id = ?", [version], "published-version")  # noqa: S608
    draft = insert(db, table, certification_id=1, number=2, state="draft")
    db.execute(f"UPDATE {table} SET summary = 'brouillon' WHERE id = ?", [draft])  # noqa: S608
    db.execute(f"DELETE FROM {table} WHERE id = ?", [draft])  # noqa: S608


def test_a_guard_lost_in_a_table_rebuild_is_back_after_migrate(sqlite_env):
    # SQLite drops a table's triggers when a migration rebuilds the table.
    path, env = sqlite_env
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TRIGGER juries_decision_final_no_update")
    _migrate(env)
    with sqlite3.connect(path) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert "juries_decision_final_no_update" in names


def test_the_content_of_a_published_version_is_frozen(db):
    versions = "certifications_referentialversion"
    draft = insert(db, versions, certification_id=1, number=3, state="draft")
    block = insert(db, "certifications_skillblock", version_id=draft, code="BC01", title="Servir", order=0)
    competency = insert(db, "certifications_competency", block_id=block, text="Dresser", order=0)
    db.execute(f"UPDATE {versions} SET state = 'published' WHERE id = ?", [draft])  # noqa: S608
    refused(db, "UPDATE certifications_skillblock SET title = 'x' WHERE id = ?", [block], "published-version")
    refused(db, "DELETE FROM certifications_competency WHERE id = ?", [competency], "published-version")
    with pytest.raises(sqlite3.IntegrityError, match="cqp-integrity:published-version"):
        insert(db, "certifications_criterion", block_id=block, text="Nouveau critère", order=1)


def test_the_block_correspondence_of_a_published_version_is_frozen(db):
    versions, mappings = "certifications_referentialversion", "certifications_blockversionmapping"
    draft = insert(db, versions, certification_id=1, number=3, state="draft")
    # Written while the version is still a draft, in the publication's transaction.
    row = insert(db, mappings, version_id=draft, old_block_id=1, new_block_id=2, automatic=0)
    db.execute(f"UPDATE {versions} SET state = 'published' WHERE id = ?", [draft])  # noqa: S608
    refused(db, f"UPDATE {mappings} SET new_block_id = 3 WHERE id = ?", [row], "published-version")  # noqa: S608
    refused(db, f"DELETE FROM {mappings} WHERE id = ?", [row], "published-version")  # noqa: S608
    with pytest.raises(sqlite3.IntegrityError, match="cqp-integrity:published-version"):
        insert(db, mappings, version_id=draft, old_block_id=4, new_block_id=5, automatic=0)
