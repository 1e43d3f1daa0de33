"""Deadlines on the ledger: flagging validated blocks whose validity ends soon, once per entry,
so that their holders are told in time.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from candidates.models import AcquiredBlock, PathState
from cqp_portal.audit.services import audit_record
from cqp_portal.tasks import enqueue_on_commit

EXPIRY_HORIZON_DAYS = 90


def flag_expiring_blocks(*, today: datetime.date | None = None, horizon_days: int = EXPIRY_HORIZON_DAYS) -> int:
    """Flag validated blocks whose validity ends within ``horizon_days`` and queue one notice
    per entry. Idempotent: an entry already flagged is never notified again. Blocks of a
    certification already fully awarded no longer matter and are skipped."""
    from juries.models import ExpiryNotice

    today = today or timezone.localdate()
    limit = today + datetime.timedelta(days=horizon_days)
    entries = (
        AcquiredBlock.objects.filter(
            revoked_at__isnull=True, valid_until__gte=today, valid_until__lte=limit, expiry_notice__isnull=True
        )
        .exclude(path__state=PathState.AWARDED)
        .order_by("pk")
    )
    flagged = []
    with transaction.atomic():
        for entry in entries.select_for_update(skip_locked=True, of=("self",)):
            _notice, created = ExpiryNotice.objects.get_or_create(
                acquired_block=entry, defaults={"valid_until": entry.valid_until}
            )
            if created:
                audit_record(subject=entry, action="ledger.expiry_flagged", note=entry.valid_until.isoformat())
                flagged.append(entry.pk)
        if flagged:
            from juries import tasks

            enqueue_on_commit(tasks.notify_expiring_blocks, flagged)
    return len(flagged)
