"""python manage.py import_referential FILE [--certification CODE]: a JSON export becomes a new draft."""

import json

from django.core.management.base import BaseCommand, CommandError

from certifications.exchange import import_version
from certifications.models import Certification
from cqp_portal.errors import DomainError


class Command(BaseCommand):
    help = "Import a référentiel version exported as JSON into a new draft version."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--certification", help="target certification code (default: the one in the file)")

    def handle(self, *args, path, certification, **options):
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        target = None
        if certification:
            target = Certification.objects.filter(code=certification).first()
            if target is None:
                raise CommandError(f"No certification with code {certification!r}.")
        try:
            version = import_version(data=data, by=None, certification=target)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"Draft version {version.number} of {version.certification.code} created.")
