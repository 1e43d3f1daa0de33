"""On PostgreSQL the database itself refuses INSERT, UPDATE and DELETE of référentiel content
(activities, blocks, competencies, modalities, criteria) belonging to a version that is not a
draft: no path (ORM, bulk update, raw SQL, admin) can change a published version.
SQLite (make run) relies on the model and queryset guards."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION certifications_frozen_state(via text, ref_id bigint) RETURNS text AS $$
  SELECT CASE WHEN via = 'block' THEN
    (SELECT v.state FROM certifications_skillblock b
       JOIN certifications_referentialversion v ON v.id = b.version_id WHERE b.id = ref_id)
  ELSE
    (SELECT v.state FROM certifications_referentialversion v WHERE v.id = ref_id)
  END;
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION certifications_refuse_frozen_content() RETURNS trigger AS $$
DECLARE
  via text := TG_ARGV[0];
  old_state text;
  new_state text;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    old_state := certifications_frozen_state(via, (to_jsonb(OLD) ->> (via || '_id'))::bigint);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    new_state := certifications_frozen_state(via, (to_jsonb(NEW) ->> (via || '_id'))::bigint);
  END IF;
  -- A missing version (already deleted in the same cascade) was a draft: its delete passed this check.
  IF coalesce(old_state, 'draft') <> 'draft' OR coalesce(new_state, 'draft') <> 'draft' THEN
    RAISE EXCEPTION 'référentiel version is %: its content cannot be changed (% on %)',
      coalesce(nullif(old_state, 'draft'), new_state), TG_OP, TG_TABLE_NAME
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
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


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table, via in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION certifications_refuse_frozen_content('{via}');",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _via in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table};", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS certifications_refuse_frozen_content();", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS certifications_frozen_state(text, bigint);", params=None)


class Migration(migrations.Migration):
    dependencies = [("certifications", "0002_import_job_and_guards")]
    operations = [migrations.RunPython(forwards, backwards)]
