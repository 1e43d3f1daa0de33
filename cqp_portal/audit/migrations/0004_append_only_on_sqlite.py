"""The audit trail is append-only on SQLite (make run) as on PostgreSQL (migration 0002): the
triggers are in cqp_portal.dbguards."""

from django.db import migrations

from cqp_portal import dbguards


def forwards(apps, schema_editor):
    dbguards.install_sqlite_guards(apps, schema_editor.connection, ["audit"])


def backwards(apps, schema_editor):
    dbguards.drop_sqlite_guards(apps, schema_editor.connection, ["audit"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_type_state_at_index")]
    operations = [migrations.RunPython(forwards, backwards)]
