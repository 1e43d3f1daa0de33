from django.contrib.contenttypes.models import ContentType

from cqp_portal.audit.models import AuditEntry


def audit_record(
    *,
    subject,
    action: str,
    by=None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    changes: dict | None = None,
) -> AuditEntry:
    """Append one audit row. Call it inside the service's transaction so it commits with the change."""
    actor = by if getattr(by, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        actor=actor,
        note=note or "",
        changes=changes or {},
    )


def audit_trail(subject):
    return AuditEntry.objects.for_object(subject).select_related("actor")
