"""Running an import: read and check the whole file, then write it chunk by chunk.

The XML is parsed once. The first pass reads every fiche into plain data and spools it to
a temporary file (compressed pickles, ~2.5 KB per fiche): a truncated or foreign file is refused
there, before anything is written, and the total is known for the progress bar. The second pass
reads the spool back and imports CHUNK fiches per transaction with a fixed number of queries
(``writing.import_fiches``). A chunk refused by a rule is replayed one fiche per transaction, so
the faulty fiche is skipped with a message and the others are imported, as before.
"""

from __future__ import annotations

import pickle
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, reset_queries, transaction
from django.utils import timezone

from certifications.importing.links import link_correspondences
from certifications.importing.reading import MalformedFiche, fingerprint, parse_fiche, stream
from certifications.importing.writing import Outcome, import_fiches
from certifications.models import CertificationKind, ImportJob, ImportState
from cqp_portal.errors import DomainError
from cqp_portal.storage import copy_to_local

CHUNK = 250  # fiches per transaction
SPOOL_FRAME = 250  # records per compressed frame of the spool
_FRAME_HEADER = struct.Struct("<I")


@dataclass
class ImportStats:
    total: int = 0
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    blocks: int = 0
    skipped: int = 0
    messages: list[str] = field(default_factory=list)

    def summary_line(self) -> str:
        return (
            f"fiches: {self.read} read, {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.errors} errors; blocks: {self.blocks}"
        )


# --- first pass: parse and spool -------------------------------------------------------------------
# A record is ("fiche", data, digest), ("skip",) for a fiche left out by --only-cqp, or
# ("error", message) for a fiche that cannot be imported.


def _records(path: Path, *, only_cqp: bool) -> Iterator[tuple]:
    for elem in stream(path):
        try:
            data = parse_fiche(elem)
        except MalformedFiche as exc:
            yield ("error", f"skipped: {exc}")
            continue
        except ValueError as exc:
            number = (elem.findtext("NUMERO_FICHE") or "?").strip()
            yield ("error", f"skipped: {number}: {exc}")
            continue
        if only_cqp and data["kind"] == CertificationKind.EXTERNAL:
            yield ("skip",)
        else:
            yield ("fiche", data, fingerprint(data))


def _spool(path: Path, spool_path: Path, *, only_cqp: bool) -> int:
    """First pass: write every fiche's record to ``spool_path``; return the fiche count.

    (Two processes each reading the whole file and parsing every other fiche were tried: on two
    shared cores they were slower, reading the XML is half the cost.)"""
    frame, count = [], 0
    with spool_path.open("wb") as spool:
        for record in _records(path, only_cqp=only_cqp):
            frame.append(record)
            count += 1
            if len(frame) == SPOOL_FRAME:
                _write_frame(spool, frame)
                frame = []
        if frame:
            _write_frame(spool, frame)
    return count


def _write_frame(spool, frame: list) -> None:
    payload = zlib.compress(pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL), 1)
    spool.write(_FRAME_HEADER.pack(len(payload)))
    spool.write(payload)


def _read_spool(path: Path) -> Iterator[tuple]:
    # The spool is this import's own temporary file, written just above: unpickling it is safe.
    with path.open("rb") as spool:
        while header := spool.read(_FRAME_HEADER.size):
            (size,) = _FRAME_HEADER.unpack(header)
            yield from pickle.loads(zlib.decompress(spool.read(size)))  # noqa: S301


# --- second pass: write ------------------------------------------------------------------------------


def run_import(
    path,
    *,
    only_cqp: bool = False,
    dry_run: bool = False,
    progress: Callable[[ImportStats], None] | None = None,
    progress_every: int = 25,
) -> ImportStats:
    """Import the file at ``path``; ImportFileError (nothing changed) if it is not a complete export."""
    path = Path(path)
    stats = ImportStats()
    with tempfile.TemporaryDirectory(prefix="fc-import-") as folder:
        spool = Path(folder) / "fiches.spool"
        stats.total = _spool(path, spool, only_cqp=only_cqp)
        if progress:
            progress(stats)
        if dry_run:
            with transaction.atomic():
                _import_all(_read_spool(spool), stats, progress=progress, progress_every=progress_every)
                transaction.set_rollback(True)
        else:
            _import_all(_read_spool(spool), stats, progress=progress, progress_every=progress_every)
    return stats


def _import_all(records: Iterator[tuple], stats: ImportStats, *, progress, progress_every: int) -> None:
    pending: list[tuple[str, str, str, str]] = []
    chunk: list[tuple] = []
    numbers: set[str] = set()

    def flush() -> None:
        _import_chunk(chunk, stats, pending, progress=progress, progress_every=progress_every)
        chunk.clear()
        numbers.clear()
        _forget_queries()

    for record in records:
        if record[0] == "fiche":
            number = record[1]["number"]
            if number in numbers:
                flush()  # the same fiche twice: the second sees what the first wrote
            numbers.add(number)
        chunk.append(record)
        if len(numbers) >= CHUNK:
            flush()
    flush()
    with transaction.atomic():
        link_correspondences(pending)
    if progress:
        progress(stats)


def _forget_queries() -> None:
    """Under DEBUG, Django keeps the last 9,000 statements with their parameters, and a chunk's
    INSERTs carry megabytes of text: memory would grow to ~400 MB over the full register. Kept
    when a test is counting queries (it forces the debug cursor)."""
    if settings.DEBUG and not connection.force_debug_cursor:
        reset_queries()


def _import_chunk(chunk: list[tuple], stats: ImportStats, pending: list, *, progress, progress_every: int) -> None:
    fiches = [(record[1], record[2]) for record in chunk if record[0] == "fiche"]
    outcomes: list[Outcome | str] = []
    try:
        if fiches:
            with transaction.atomic():
                outcomes = import_fiches(fiches)
    except (DomainError, ValueError):
        # One fiche broke a rule: replay the chunk fiche by fiche to skip that one alone.
        outcomes = [_import_one(data, digest) for data, digest in fiches]
    results = iter(outcomes)
    for record in chunk:
        stats.read += 1
        if record[0] == "skip":
            stats.skipped += 1
        elif record[0] == "error":
            stats.errors += 1
            stats.messages.append(record[1])
        else:
            outcome = next(results)
            if isinstance(outcome, str):
                stats.errors += 1
                stats.messages.append(outcome)
            else:
                stats.messages += outcome.messages
                setattr(stats, outcome.outcome, getattr(stats, outcome.outcome) + 1)
                stats.blocks += outcome.blocks
                pending += [(record[1]["number"], *c) for c in record[1]["correspondences"]]
        if progress and stats.read % progress_every == 0:
            progress(stats)


def _import_one(data: dict, digest: str) -> Outcome | str:
    """One fiche in its own transaction: its Outcome, or the message naming why it was skipped."""
    try:
        with transaction.atomic():
            return import_fiches([(data, digest)])[0]
    except (DomainError, ValueError) as exc:
        return f"skipped: {data['number']}: {getattr(exc, 'message', exc)}"


def run_job(job: ImportJob) -> ImportJob:
    """Run an upload's import, keeping its progress row up to date for the page that polls it."""
    from certifications.importing.reading import ImportFileError

    claimed = ImportJob.objects.filter(pk=job.pk, state=ImportState.PENDING).update(
        state=ImportState.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return ImportJob.objects.get(pk=job.pk)  # already run (a task delivered twice)
    job.refresh_from_db()

    def report(stats: ImportStats) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            total=stats.total,
            read=stats.read,
            created=stats.created,
            updated=stats.updated,
            unchanged=stats.unchanged,
            errors=stats.errors,
            blocks=stats.blocks,
        )

    try:
        with tempfile.TemporaryDirectory(prefix="fc-upload-") as folder:
            # The upload is in the media storage (a bucket when web and workers run on several
            # machines): copied to this worker's temporary folder, where lxml streams it.
            local = Path(folder) / "upload.xml"
            try:
                copy_to_local(job.file, local)
            except FileNotFoundError:
                raise ImportFileError(
                    f"{job.original_name}: the uploaded file is missing; nothing was imported"
                ) from None
            stats = run_import(local, only_cqp=job.only_cqp, dry_run=job.dry_run, progress=report)
    except ImportFileError as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportState.FAILED, message=str(exc), finished_at=timezone.now()
        )
    else:
        report(stats)
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportState.DONE,
            message=stats.summary_line(),
            log="\n".join(stats.messages)[:20000],
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job
