"""The database's own refusals on SQLite (``make run``): the same rules as the PostgreSQL
triggers of the migrations, so that no code path (ORM, ``QuerySet.update()``, raw SQL, the
admin) can rewrite a final record on either database.

- audit trail: append-only (no UPDATE, no DELETE);
- final jury decision: never updated nor deleted, except ``is_current`` going true → false
  once a superseding decision exists; its block decisions and college votes are frozen too;
- certificate: never deleted (revocation is a state);
- path: its certification and référentiel version never change once it left the draft state;
- référentiel version: once published, no field changes and it is not deleted, except the
  published → retired transition (``state`` and ``retired_at``); nor does its content
  (activities, blocks, competencies, modalities, criteria).

Each message starts with a ``cqp-integrity:<rule>`` marker that ``cqp_portal.errors`` turns into
a clear error (HTML message, API 409). SQLite drops a table's triggers when a migration rebuilds
the table (most ``ALTER`` operations do), and a trigger lists the columns it compares: the
migrations install the guards, and a ``post_migrate`` receiver (``cqp_portal.audit.apps``)
installs them again from the current models after every ``migrate``.

This module imports no app: models are looked up by label in the ``apps`` registry given.
Table and column names come from the models, never from input.
"""

# ruff: noqa: S608 (DDL built from model metadata only)

MARKER = "cqp-integrity"

MESSAGES = {
    "audit": f"{MARKER}:audit audit entries are append-only",
    "final-decision": f"{MARKER}:final-decision a final jury decision is never changed or deleted; record a correction",
    "certificate": f"{MARKER}:certificate a certificate is never deleted; revoke it",
    "path-version": (
        f"{MARKER}:path-version the certification and référentiel version of a registered path never change"
    ),
    "published-version": (
        f"{MARKER}:published-version a published référentiel version is immutable; create a new version"
    ),
}


def _abort(rule: str) -> str:
    return f"SELECT RAISE(ABORT, '{MESSAGES[rule]}');"


def _same(model, *, except_columns=()) -> str:
    return " AND ".join(
        f'NEW."{f.column}" IS OLD."{f.column}"' for f in model._meta.concrete_fields if f.column not in except_columns
    )


def _audit(apps) -> dict[str, str]:
    table = apps.get_model("audit", "AuditEntry")._meta.db_table
    return {
        "audit_append_only_update": f"BEFORE UPDATE ON {table} BEGIN {_abort('audit')} END",
        "audit_append_only_delete": f"BEFORE DELETE ON {table} BEGIN {_abort('audit')} END",
    }


def _final_decision(apps) -> dict[str, str]:
    decision = apps.get_model("juries", "Decision")
    table = decision._meta.db_table
    unchanged = _same(decision, except_columns=("is_current",))
    triggers = {
        "juries_decision_final_no_delete": (
            f"BEFORE DELETE ON {table} WHEN OLD.state = 'final' BEGIN {_abort('final-decision')} END"
        ),
        "juries_decision_final_no_update": (
            f"BEFORE UPDATE ON {table} WHEN OLD.state = 'final' AND NOT ("
            f"OLD.is_current = 1 AND NEW.is_current = 0 AND {unchanged} "
            f"AND EXISTS (SELECT 1 FROM {table} d WHERE d.supersedes_id = OLD.id)"
            f") BEGIN {_abort('final-decision')} END"
        ),
    }
    for name in ("BlockDecision", "CollegeVote"):
        part = apps.get_model("juries", name)._meta.db_table
        triggers[f"{part}_final_no_delete"] = (
            f"BEFORE DELETE ON {part} WHEN EXISTS (SELECT 1 FROM {table} d "
            f"WHERE d.id = OLD.decision_id AND d.state = 'final') BEGIN {_abort('final-decision')} END"
        )
        triggers[f"{part}_final_no_update"] = (
            f"BEFORE UPDATE ON {part} WHEN EXISTS (SELECT 1 FROM {table} d "
            f"WHERE d.id IN (OLD.decision_id, NEW.decision_id) AND d.state = 'final') "
            f"BEGIN {_abort('final-decision')} END"
        )
    return triggers


def _certificate(apps) -> dict[str, str]:
    table = apps.get_model("certificates", "Certificate")._meta.db_table
    return {"certificates_certificate_no_delete": f"BEFORE DELETE ON {table} BEGIN {_abort('certificate')} END"}


def _path_version(apps) -> dict[str, str]:
    table = apps.get_model("candidates", "Path")._meta.db_table
    return {
        "candidates_path_version_frozen": (
            f"BEFORE UPDATE OF version_id, certification_id ON {table} WHEN OLD.state <> 'draft' "
            f"AND (NEW.version_id IS NOT OLD.version_id OR NEW.certification_id IS NOT OLD.certification_id) "
            f"BEGIN {_abort('path-version')} END"
        )
    }


def _published_version(apps) -> dict[str, str]:
    version = apps.get_model("certifications", "ReferentialVersion")
    table = version._meta.db_table
    unchanged = _same(version, except_columns=("state", "retired_at"))
    return {
        "certifications_version_published_no_delete": (
            f"BEFORE DELETE ON {table} WHEN OLD.state <> 'draft' BEGIN {_abort('published-version')} END"
        ),
        "certifications_version_published_no_update": (
            f"BEFORE UPDATE ON {table} WHEN OLD.state <> 'draft' AND NOT ({unchanged} AND ("
            f"(NEW.state IS OLD.state AND NEW.retired_at IS OLD.retired_at) "
            f"OR (OLD.state = 'published' AND NEW.state = 'retired'))"
            f") BEGIN {_abort('published-version')} END"
        ),
    }


def _published_content(apps) -> dict[str, str]:
    """The content of a non-draft version (PostgreSQL: certifications migrations 0003/0004)."""
    versions = apps.get_model("certifications", "ReferentialVersion")._meta.db_table
    blocks = apps.get_model("certifications", "SkillBlock")._meta.db_table
    state_of = {
        "version": f"(SELECT v.state FROM {versions} v WHERE v.id = {{row}}.version_id)",
        "block": (
            f"(SELECT v.state FROM {blocks} b JOIN {versions} v ON v.id = b.version_id WHERE b.id = {{row}}.block_id)"
        ),
    }
    triggers = {}
    for name, via in (
        ("Activity", "version"),
        ("SkillBlock", "version"),
        ("Competency", "block"),
        ("EvaluationModality", "block"),
        ("Criterion", "block"),
        # The block correspondence recorded when the version was published (version_mapping.py).
        ("BlockVersionMapping", "version"),
    ):
        table = apps.get_model("certifications", name)._meta.db_table
        # A missing version or block (deleted earlier in the same cascade) was a draft.
        old = f"coalesce({state_of[via].format(row='OLD')}, 'draft') <> 'draft'"
        new = f"coalesce({state_of[via].format(row='NEW')}, 'draft') <> 'draft'"
        abort = _abort("published-version")
        triggers[f"{table}_frozen_insert"] = f"BEFORE INSERT ON {table} WHEN {new} BEGIN {abort} END"
        triggers[f"{table}_frozen_update"] = f"BEFORE UPDATE ON {table} WHEN {old} OR {new} BEGIN {abort} END"
        triggers[f"{table}_frozen_delete"] = f"BEFORE DELETE ON {table} WHEN {old} BEGIN {abort} END"
    return triggers


GUARDS = {
    "audit": _audit,
    "final-decision": _final_decision,
    "certificate": _certificate,
    "path-version": _path_version,
    "published-version": _published_version,
    "published-content": _published_content,
}


def install_sqlite_guards(apps, connection, rules=None) -> list[str]:
    """(Re)create the SQLite triggers of ``rules`` (default: all) whose tables exist; returns
    their names. Idempotent. Does nothing on another database."""
    if connection.vendor != "sqlite":
        return []
    tables = set(connection.introspection.table_names())
    installed = []
    with connection.cursor() as cursor:
        for rule in rules or GUARDS:
            try:
                triggers = GUARDS[rule](apps)
            except LookupError:  # the app is not installed
                continue
            for name, body in triggers.items():
                table = body.split(" ON ", 1)[1].split()[0]
                if table not in tables:
                    continue
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"CREATE TRIGGER {name} {body}")
                installed.append(name)
    return installed


def drop_sqlite_guards(apps, connection, rules) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for rule in rules:
            for name in GUARDS[rule](apps):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
