"""python manage.py export_referential CODE [--number N] [-o FILE]: one version as JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from certifications.exchange import export_version
from certifications.models import ReferentialVersion


class Command(BaseCommand):
    help = "Export one référentiel version as JSON (default: the latest version of the certification)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="certification code, e.g. cqp-serveur-restauration")
        parser.add_argument("--number", type=int, help="version number (default: the latest)")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, code, number, output, **options):
        versions = ReferentialVersion.objects.filter(certification__code=code).select_related("certification")
        version = versions.filter(number=number).first() if number else versions.order_by("-number").first()
        if version is None:
            raise CommandError(f"No version {number or ''} for certification {code!r}.".replace("  ", " "))
        text = json.dumps(export_version(version), ensure_ascii=False, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            self.stderr.write(f"Version {version.number} of {code} written to {output}.")
        else:
            self.stdout.write(text)
