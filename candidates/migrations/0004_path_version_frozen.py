"""A path stays on the référentiel version it enrolled on (domain.md, "Versioning"): once it
left the draft state, the database refuses to change its version or its certification, on
PostgreSQL and on SQLite (cqp_portal.dbguards)."""

from django.db import migrations

from cqp_portal import dbguards

PG_CREATE = f"""
CREATE OR REPLACE FUNCTION candidates_path_version_frozen() RETURNS trigger AS $$
BEGIN
  IF OLD.state <> 'draft' AND (NEW.version_id IS DISTINCT FROM OLD.version_id
                               OR NEW.certification_id IS DISTINCT FROM OLD.certification_id) THEN
    RAISE EXCEPTION '{dbguards.MESSAGES["path-version"]} (path %)', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER candidates_path_version_frozen BEFORE UPDATE OF version_id, certification_id ON candidates_path
  FOR EACH ROW EXECUTE FUNCTION candidates_path_version_frozen();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS candidates_path_version_frozen ON candidates_path;
DROP FUNCTION IF EXISTS candidates_path_version_frozen();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)
    dbguards.install_sqlite_guards(apps, schema_editor.connection, ["path-version"])


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)
    dbguards.drop_sqlite_guards(apps, schema_editor.connection, ["path-version"])


class Migration(migrations.Migration):
    dependencies = [("candidates", "0003_path_recent_index")]
    operations = [migrations.RunPython(forwards, backwards)]
