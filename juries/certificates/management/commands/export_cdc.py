"""python manage.py export_cdc --output PATH [--certification CODE] [--since YYYY-MM-DD] [--check-only]

Writes the accrochage flux of every award not exported yet (one file per certifier: with
several, the certifier's CDC id is added to the file name) and lists the awards left out
with the reason. Each flux is validated against the CDC schema before it is written.
"""

import datetime
import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cqp_portal.errors import DomainError
from juries.certificates import cdc


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--since: {value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Export the awards of RNCP/RS certifications to the Caisse des Dépôts (accrochage XML)."
    # A batch job, not a server start: the system checks (URLconf import included) cost ~2 s of
    # a 10 s budget for 10,000 awards (issue 11) and are run by deployment (`manage.py check`).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--output", default="", help="file to write (.xml)")
        parser.add_argument("--certification", default="", help="certification code")
        parser.add_argument("--since", default="", help="awards from this date (YYYY-MM-DD)")
        parser.add_argument(
            "--check-only", action="store_true", help="list the awards the CDC would reject, write nothing"
        )

    def _report(self, held_back) -> None:
        """The pre-deposit check: every award held back, with what to correct."""
        self.stderr.write(f"Pre-deposit check: {len(held_back)} award(s) held back (the CDC would reject them)")
        for award in held_back:
            c = award.certificate
            fields = f" [correct: {', '.join(award.fields)}]" if award.fields else ""
            self.stderr.write(f"left out {c.number} ({c.holder_name}): {', '.join(map(str, award.problems))}{fields}")

    def handle(self, *args, output, certification, since, check_only=False, **options):
        since_date = _date(since) if since else None
        if check_only:
            qs = cdc.not_exported(cdc.eligible_certificates(certification_code=certification, since=since_date))
            held_back = [a for a in cdc.awards(qs) if not a.exportable]
            self._report(held_back)
            return
        if not output:
            raise CommandError("--output is required to write the flux (or --check-only)")
        try:
            result = cdc.cdc_export(certification_code=certification, since=since_date)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self._report(result.excluded)
        if not result.exports:
            self.stdout.write("No award to export.")
            return
        target = Path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        several = len(result.exports) > 1
        for export in result.exports:
            path = target.with_name(f"{target.stem}-{export.certifier.id_client}{target.suffix}") if several else target
            with export.file.open("rb") as stored, path.open("wb") as copy:
                shutil.copyfileobj(stored, copy, length=1024 * 1024)
            self.stdout.write(f"{path}: {export.certificates.count()} award(s), flux {export.id_flux}")
