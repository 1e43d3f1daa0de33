"""A published référentiel version's own fields are immutable too, not only its content
(migrations 0003/0004): once it left the draft state, the database refuses any change to the
version row and its deletion, except the published → retired transition (``state`` and
``retired_at``), on PostgreSQL and on SQLite (cqp_portal.dbguards). The comparison covers the
whole row, so a column added later is protected without a new trigger on PostgreSQL. On SQLite
the content of a non-draft version is guarded too (the PostgreSQL triggers of 0003/0004)."""

from django.db import migrations

from cqp_portal import dbguards

PG_CREATE = f"""
CREATE OR REPLACE FUNCTION certifications_published_version_frozen() RETURNS trigger AS $$
BEGIN
  IF OLD.state = 'draft' THEN
    IF TG_OP = 'DELETE' THEN
      RETURN OLD;
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE'
     AND (to_jsonb(NEW) - 'state' - 'retired_at') = (to_jsonb(OLD) - 'state' - 'retired_at')
     AND ((NEW.state = OLD.state AND NEW.retired_at IS NOT DISTINCT FROM OLD.retired_at)
          OR (OLD.state = 'published' AND NEW.state = 'retired')) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '{dbguards.MESSAGES["published-version"]} (% on version %, %)', TG_OP, OLD.id, OLD.state
    USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER certifications_version_published_frozen
  BEFORE UPDATE OR DELETE ON certifications_referentialversion
  FOR EACH ROW EXECUTE FUNCTION certifications_published_version_frozen();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS certifications_version_published_frozen ON certifications_referentialversion;
DROP FUNCTION IF EXISTS certifications_published_version_frozen();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)
    # SQLite also gets the content guard PostgreSQL has had since 0003/0004.
    dbguards.install_sqlite_guards(apps, schema_editor.connection, ["published-version", "published-content"])


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)
    dbguards.drop_sqlite_guards(apps, schema_editor.connection, ["published-version", "published-content"])


class Migration(migrations.Migration):
    dependencies = [("certifications", "0004_frozen_content_statement_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
