import pytest
from django.db import connection


@pytest.mark.django_db
def test_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql", "make test must run the suite on a real PostgreSQL server"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert int(cursor.fetchone()[0].split(".")[0]) >= 15


@pytest.mark.django_db
def test_audit_table_refuses_update_and_delete_at_database_level(staff_user):
    from django.db import DatabaseError, transaction

    from cqp_portal.audit.models import AuditEntry
    from cqp_portal.audit.services import audit_record

    entry = audit_record(subject=staff_user, action="test", by=staff_user, note="kept")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET note = 'rewritten' WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).note == "kept"
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="x")
    with pytest.raises(TypeError):
        entry.delete()
