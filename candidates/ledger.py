"""The ledger of validated blocks: the single truth about what a candidate holds.

Juries write to it (``ledger_add``) when they validate blocks; positioning reads it
(``held_blocks``) so that blocks already held are recognised and not assessed again.
"""

import datetime

from django.db import transaction
from django.db.models import Q

from candidates.models import AcquiredBlock, AcquisitionSource, add_months
from certifications.models import Certification
from certifications.version_mapping import granted_block_ids
from cqp_portal.audit.services import audit_record


def valid_acquisitions(candidate, on_date: datetime.date):
    return AcquiredBlock.objects.filter(candidate=candidate, revoked_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on_date)
    )


def held_blocks(candidate, version, on_date: datetime.date) -> dict[int, AcquiredBlock]:
    """For each block of ``version`` the candidate holds on ``on_date``, the ledger row that
    grants it: the block itself, a block of an earlier version of the référentiel mapped to it
    at publication (v1 → v2 → v3), or a block declared equivalent (a passerelle). The row keeps
    its own acquisition date and validity. Expired or revoked rows grant nothing: an expired
    block must be assessed again (domain.md)."""
    version_block_ids = set(version.blocks.values_list("pk", flat=True))
    acquisitions = list(valid_acquisitions(candidate, on_date).select_related("block").order_by("-acquired_on", "pk"))
    held: dict[int, AcquiredBlock] = {}
    for acquisition in acquisitions:
        if acquisition.block_id in version_block_ids and acquisition.block_id not in held:
            held[acquisition.block_id] = acquisition
    grants = granted_block_ids({a.block_id for a in acquisitions})
    for acquisition in acquisitions:
        for block_id in grants.get(acquisition.block_id, ()):
            if block_id in version_block_ids and block_id not in held:
                held[block_id] = acquisition
    return held


def ledger_add(
    *, candidate, block, source: str, acquired_on: datetime.date, path=None, reference: str = "", by=None
) -> AcquiredBlock:
    """Record that ``candidate`` holds ``block`` from ``acquired_on``, valid for the
    certification's ``block_validity_months`` (empty: acquired for good).

    Idempotent for one path: recording the same block for the same path twice returns the
    first row, so a retried jury task does not duplicate the ledger.
    """
    if source not in AcquisitionSource.values:
        raise ValueError(f"unknown acquisition source {source!r}")
    # Read the rule fresh: a cached certification could carry an outdated validity.
    months = Certification.objects.filter(versions__blocks=block).values_list("block_validity_months", flat=True).get()
    valid_until = add_months(acquired_on, months) if months else None
    with transaction.atomic():
        if path is not None:
            existing = AcquiredBlock.objects.filter(
                candidate=candidate, block=block, path=path, source=source, revoked_at__isnull=True
            ).first()
            if existing is not None:
                return existing
        row = AcquiredBlock.objects.create(
            candidate=candidate,
            block=block,
            source=source,
            acquired_on=acquired_on,
            valid_until=valid_until,
            path=path,
            reference=reference,
        )
        audit_record(
            subject=row,
            action="ledger.add",
            by=by,
            changes={"block": block.code, "source": source, "acquired_on": acquired_on.isoformat()},
        )
    return row
