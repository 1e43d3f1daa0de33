"""python manage.py import_cdc_report PATH [PATH...]

Imports the CDC's processing report(s) of deposited fluxes: each award of the flux becomes
accepted or rejected (with the CDC's message). A report is imported whole or not at all.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cqp_portal.errors import DomainError
from juries.certificates.cdc.report import cdc_report_import, fix_for


class Command(BaseCommand):
    help = "Import the Caisse des Dépôts' processing report of an accrochage flux (XML 'rapport')."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="report file(s)")

    def handle(self, *args, paths, **options):
        failed = False
        for name in paths:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            try:
                report = cdc_report_import(data=path.read_bytes())
            except DomainError as exc:
                failed = True
                self.stderr.write(f"{path}: {exc.message}")
                continue
            self.stdout.write(
                f"{path}: flux {report.export.id_flux}, {report.accepted} accepted, {report.rejected} rejected"
            )
            for line in report.passages.filter(accepted=False).select_related("certificate"):
                fix = fix_for(line.message)
                self.stdout.write(f"  rejected {line.certificate.number}: {line.message} -> {fix.advice}")
        if failed:
            raise CommandError("some reports were not imported")
