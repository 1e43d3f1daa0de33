"""The database's refusal to change the content of a non-draft référentiel version (migration
0003), checked once per statement instead of once per row.

0003's row triggers ran a PL/pgSQL function, a JSON copy of the row and a lookup for every row:
~45 µs per row, most of the register import's database time (~28 content rows per fiche). These
statement triggers join the statement's transition tables (the rows inserted, updated or
deleted) to the versions once: the same rule, for any number of rows, at the end of the
statement, which is refused and rolled back as a whole with the same error.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION certifications_refuse_frozen_statement() RETURNS trigger AS $$
DECLARE
  via text := TG_ARGV[0];
  frozen text;
BEGIN
  -- The distinct blocks or versions of the statement's rows, each looked up once. A missing
  -- version or block (deleted earlier in the same cascade) was a draft: its delete passed this check.
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF via = 'block' THEN
      SELECT v.state INTO frozen FROM certifications_skillblock b
        JOIN certifications_referentialversion v ON v.id = b.version_id
        WHERE b.id IN (SELECT DISTINCT r.block_id FROM certifications_frozen_old r) AND v.state <> 'draft' LIMIT 1;
    ELSE
      SELECT v.state INTO frozen FROM certifications_referentialversion v
        WHERE v.id IN (SELECT DISTINCT r.version_id FROM certifications_frozen_old r) AND v.state <> 'draft' LIMIT 1;
    END IF;
  END IF;
  IF frozen IS NULL AND TG_OP IN ('UPDATE', 'INSERT') THEN
    IF via = 'block' THEN
      SELECT v.state INTO frozen FROM certifications_skillblock b
        JOIN certifications_referentialversion v ON v.id = b.version_id
        WHERE b.id IN (SELECT DISTINCT r.block_id FROM certifications_frozen_new r) AND v.state <> 'draft' LIMIT 1;
    ELSE
      SELECT v.state INTO frozen FROM certifications_referentialversion v
        WHERE v.id IN (SELECT DISTINCT r.version_id FROM certifications_frozen_new r) AND v.state <> 'draft' LIMIT 1;
    END IF;
  END IF;
  IF frozen IS NOT NULL THEN
    RAISE EXCEPTION 'référentiel version is %: its content cannot be changed (% on %)',
      frozen, TG_OP, TG_TABLE_NAME
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TABLES = [
    ("certifications_activity", "version"),
    ("certifications_skillblock", "version"),
    ("certifications_competency", "block"),
    ("certifications_evaluationmodality", "block"),
    ("certifications_criterion", "block"),
]

# A trigger with transition tables fires on one event only.
EVENTS = [
    ("insert", "INSERT", "REFERENCING NEW TABLE AS certifications_frozen_new"),
    (
        "update",
        "UPDATE",
        "REFERENCING OLD TABLE AS certifications_frozen_old NEW TABLE AS certifications_frozen_new",
    ),
    ("delete", "DELETE", "REFERENCING OLD TABLE AS certifications_frozen_old"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table, via in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table};", params=None)
        for suffix, event, referencing in EVENTS:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_frozen_{suffix} AFTER {event} ON {table} {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION certifications_refuse_frozen_statement('{via}');",
                params=None,
            )
    schema_editor.execute("DROP FUNCTION IF EXISTS certifications_refuse_frozen_content();", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS certifications_frozen_state(text, bigint);", params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _via in TABLES:
        for suffix, _event, _referencing in EVENTS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_frozen_{suffix} ON {table};", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS certifications_refuse_frozen_statement();", params=None)
    # Back to 0003's row triggers.
    from importlib import import_module

    import_module("certifications.migrations.0003_published_version_trigger").forwards(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("certifications", "0003_published_version_trigger")]
    operations = [migrations.RunPython(forwards, backwards)]
