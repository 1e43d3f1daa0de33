"""python manage.py import_france_competences PATH [--only-cqp] [--dry-run]

Progress and skipped fiches go to stderr; stdout gets exactly one summary line.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from certifications.importing import ImportFileError, ImportStats, run_import


class Command(BaseCommand):
    help = "Import the France compétences XML export (v4.1): certifications, registrations, blocks, equivalences."
    # A batch job: it does not need the URL and template checks (and must not fail on them).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("path", help="the XML export (FICHES/FICHE), e.g. export-fiches-rncp-v4-1.xml")
        parser.add_argument("--only-cqp", action="store_true", help="import CQP / CQPI fiches only")
        parser.add_argument("--dry-run", action="store_true", help="read and check everything, save nothing")

    def handle(self, *args, path, only_cqp, dry_run, **options):
        err = self.stderr
        shown = {"read": -1, "messages": 0}

        def progress(stats: ImportStats) -> None:
            for message in stats.messages[shown["messages"] :]:
                err.write(f"  {message}")
            shown["messages"] = len(stats.messages)
            if stats.read == 0:
                err.write(f"File checked: {stats.total} fiches.")
            elif stats.read != shown["read"] and (stats.read % 500 == 0 or stats.read == stats.total):
                err.write(f"  {stats.read}/{stats.total} fiches read")
            shown["read"] = stats.read

        try:
            stats = run_import(path, only_cqp=only_cqp, dry_run=dry_run, progress=progress)
        except ImportFileError as exc:
            raise CommandError(f"Import refused: {exc}") from None
        if dry_run:
            err.write("Dry run: nothing was saved.")
        self.stdout.write(stats.summary_line())
        sys.stdout.flush()
