"""The ledger of validated blocks: the single truth about what a candidate holds.

Juries write to it (``ledger_add``) when they validate blocks; positioning reads it
(``held_blocks``) so that blocks already held are recognised and not assessed again, and the
jury reads it again on the jury date (``holdings_for``): a block held at positioning whose
validity ended before the jury sits is not counted. ``is_valid_on`` is the one rule.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction

from candidates.models import AcquiredBlock, AcquisitionSource, add_months
from certifications.models import Certification, SkillBlock
from certifications.version_mapping import granted_block_ids
from cqp_portal.audit.services import audit_record


def is_valid_on(acquisition: AcquiredBlock, on_date: datetime.date) -> bool:
    """The one rule on validity: a ledger row grants its block on ``on_date`` unless it was
    revoked (a corrected decision) or its validity ended before that day (domain.md, "Validity
    of validated blocks": expired blocks must be assessed again). Positioning, the jury's
    grid, outcome, close and ratification all go through it (``block_holdings``)."""
    return acquisition.revoked_at is None and (acquisition.valid_until is None or on_date <= acquisition.valid_until)


@dataclass(frozen=True)
class Holding:
    """How the candidate holds one block of a version on a date: the ledger row that grants it
    (the block itself or an equivalent block) and whether it is still valid that day."""

    acquisition: AcquiredBlock
    valid: bool

    @property
    def expired_on(self) -> datetime.date | None:
        """The last day of validity, when the holding has expired."""
        return None if self.valid else self.acquisition.valid_until


def block_holdings(candidate, version, on_date: datetime.date) -> dict[int, Holding]:
    """For each block of ``version`` the candidate holds or held, the ledger row that grants it:
    the block itself, a block of an earlier version of the référentiel mapped to it at
    publication (v1 → v2 → v3, keeping the row's own acquisition date and validity), or a block
    declared equivalent (a passerelle). A valid row wins over an
    expired one; among expired rows the one valid the longest is kept (the date the candidate
    is told). Revoked rows grant nothing and are not shown."""
    return holdings_for([(candidate.pk, version.pk)], on_date).get((candidate.pk, version.pk), {})


def holdings_for(pairs, on_date: datetime.date) -> dict[tuple[int, int], dict[int, Holding]]:
    """``block_holdings`` for many (candidate id, version id) pairs in a fixed number of queries
    (blocks of the versions, the candidates' ledger rows, the version correspondences and the
    equivalences), whatever the number of pairs: e.g. every dossier of a jury."""
    pairs = set(pairs)
    if not pairs:
        return {}
    version_blocks: dict[int, set[int]] = defaultdict(set)
    for version_id, block_id in SkillBlock.objects.filter(version_id__in={v for _c, v in pairs}).values_list(
        "version_id", "pk"
    ):
        version_blocks[version_id].add(block_id)
    by_candidate: dict[int, list[AcquiredBlock]] = defaultdict(list)
    for acquisition in (
        AcquiredBlock.objects.filter(candidate_id__in={c for c, _v in pairs}, revoked_at__isnull=True)
        .select_related("block")
        .order_by("-acquired_on", "pk")
    ):
        by_candidate[acquisition.candidate_id].append(acquisition)
    grants = granted_block_ids({a.block_id for rows in by_candidate.values() for a in rows})
    return {
        (candidate_id, version_id): _holdings(by_candidate[candidate_id], version_blocks[version_id], grants, on_date)
        for candidate_id, version_id in pairs
    }


def _holdings(acquisitions, version_block_ids: set[int], grants, on_date) -> dict[int, Holding]:
    holdings: dict[int, Holding] = {}

    def offer(block_id: int, acquisition: AcquiredBlock) -> None:
        if block_id not in version_block_ids:
            return
        offered = Holding(acquisition, is_valid_on(acquisition, on_date))
        current = holdings.get(block_id)
        if (
            current is None
            or (offered.valid and not current.valid)
            or (not current.valid and not offered.valid and acquisition.valid_until > current.expired_on)
        ):
            holdings[block_id] = offered

    # Direct rows first: at equal validity, holding the block itself is shown rather than a passerelle.
    for acquisition in acquisitions:
        offer(acquisition.block_id, acquisition)
    for acquisition in acquisitions:
        for block_id in grants.get(acquisition.block_id, ()):
            offer(block_id, acquisition)
    return holdings


def held_blocks(candidate, version, on_date: datetime.date) -> dict[int, AcquiredBlock]:
    """For each block of ``version`` the candidate holds on ``on_date``, the ledger row that
    grants it. Expired or revoked rows grant nothing: an expired block must be assessed again
    (domain.md)."""
    return {
        block_id: holding.acquisition
        for block_id, holding in block_holdings(candidate, version, on_date).items()
        if holding.valid
    }


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
