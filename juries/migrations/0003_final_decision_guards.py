"""The database refuses to change or delete a final jury decision (domain.md, "Jury decisions":
decisions are immutable once the session is closed; a correction is a new decision that
supersedes the old one), on PostgreSQL and on SQLite (make run) alike.

The one change a final decision accepts is the one the correction mechanism needs: its
``is_current`` flag goes from true to false, once, nothing else changing, and only when a
decision superseding it already exists (juries.services.corrections creates it first). Its
block decisions and college votes are neither updated nor deleted either. Inserts are left
alone: seeders and imports write final decisions, then their block decisions.

Error messages start with "cqp-integrity:final-decision" (cqp_portal.errors maps them); the
SQLite triggers are in cqp_portal.dbguards.
"""

from django.db import migrations

from cqp_portal import dbguards

MESSAGE = dbguards.MESSAGES["final-decision"]

PG_CREATE = f"""
CREATE OR REPLACE FUNCTION juries_final_decision_guard() RETURNS trigger AS $$
BEGIN
  IF OLD.state <> 'final' THEN
    IF TG_OP = 'DELETE' THEN
      RETURN OLD;
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.is_current AND NOT NEW.is_current
     AND (to_jsonb(NEW) - 'is_current') = (to_jsonb(OLD) - 'is_current')
     AND EXISTS (SELECT 1 FROM juries_decision d WHERE d.supersedes_id = OLD.id) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '{MESSAGE} (% on decision %)', TG_OP, OLD.id USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION juries_final_decision_part_guard() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM juries_decision d WHERE d.id = OLD.decision_id AND d.state = 'final')
     OR (TG_OP = 'UPDATE' AND EXISTS (
       SELECT 1 FROM juries_decision d WHERE d.id = NEW.decision_id AND d.state = 'final')) THEN
    RAISE EXCEPTION '{MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER juries_decision_final_guard BEFORE UPDATE OR DELETE ON juries_decision
  FOR EACH ROW EXECUTE FUNCTION juries_final_decision_guard();
CREATE TRIGGER juries_blockdecision_final_guard BEFORE UPDATE OR DELETE ON juries_blockdecision
  FOR EACH ROW EXECUTE FUNCTION juries_final_decision_part_guard();
CREATE TRIGGER juries_collegevote_final_guard BEFORE UPDATE OR DELETE ON juries_collegevote
  FOR EACH ROW EXECUTE FUNCTION juries_final_decision_part_guard();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS juries_decision_final_guard ON juries_decision;
DROP TRIGGER IF EXISTS juries_blockdecision_final_guard ON juries_blockdecision;
DROP TRIGGER IF EXISTS juries_collegevote_final_guard ON juries_collegevote;
DROP FUNCTION IF EXISTS juries_final_decision_guard();
DROP FUNCTION IF EXISTS juries_final_decision_part_guard();
"""

def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)
    dbguards.install_sqlite_guards(apps, schema_editor.connection, ["final-decision"])


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)
    dbguards.drop_sqlite_guards(apps, schema_editor.connection, ["final-decision"])


class Migration(migrations.Migration):
    dependencies = [("juries", "0002_block_decision_expired_on")]
    operations = [migrations.RunPython(forwards, backwards)]
