from django.contrib.contenttypes.models import ContentType

from cqp_portal.audit.models import AuditEntry


def _entry(content_type, subject, *, action, by, from_state="", to_state="", note="", changes=None) -> AuditEntry:
    """One unsaved audit row: the shape shared by ``audit_record`` and ``audit_record_many``."""
    return AuditEntry(
        content_type=content_type,
        object_id=str(subject.pk),
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        actor=by if getattr(by, "is_authenticated", False) else None,
        note=note or "",
        changes=changes or {},
    )


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
    entry = _entry(
        ContentType.objects.get_for_model(subject),
        subject,
        action=action,
        by=by,
        from_state=from_state,
        to_state=to_state,
        note=note,
        changes=changes,
    )
    entry.save(force_insert=True)
    return entry


def audit_record_many(*, subjects, action: str, by=None, to_state: str = "", batch_size: int = 500) -> None:
    """The rows ``audit_record`` would write for each subject (same model), in bulk INSERTs:
    for batches (a jury session's 500 certificates), inside the service's transaction."""
    subjects = list(subjects)
    if not subjects:
        return
    content_type = ContentType.objects.get_for_model(subjects[0])
    AuditEntry.objects.bulk_create(
        [_entry(content_type, subject, action=action, by=by, to_state=to_state) for subject in subjects],
        batch_size=batch_size,
    )


def audit_trail(subject):
    return AuditEntry.objects.for_object(subject).select_related("actor")
