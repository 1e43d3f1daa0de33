"""A certificate row is never deleted (domain.md, "Certificates": a revoked certificate stays
visible as revoked, never deleted): the database refuses DELETE on PostgreSQL and on SQLite
(cqp_portal.dbguards). TRUNCATE (the test suite's flush) is not a row delete and stays possible
for the database owner."""

from django.db import migrations

from cqp_portal import dbguards

PG_CREATE = f"""
CREATE OR REPLACE FUNCTION certificates_never_deleted() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '{dbguards.MESSAGES["certificate"]} (certificate %)', OLD.id
    USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER certificates_certificate_never_deleted BEFORE DELETE ON certificates_certificate
  FOR EACH ROW EXECUTE FUNCTION certificates_never_deleted();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS certificates_certificate_never_deleted ON certificates_certificate;
DROP FUNCTION IF EXISTS certificates_never_deleted();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)
    dbguards.install_sqlite_guards(apps, schema_editor.connection, ["certificate"])


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)
    dbguards.drop_sqlite_guards(apps, schema_editor.connection, ["certificate"])


class Migration(migrations.Migration):
    dependencies = [("certificates", "0002_cdcexportjob")]
    operations = [migrations.RunPython(forwards, backwards)]
