"""Loads the demo data. Idempotent: running it twice changes nothing the second time.

Each app seeds its own part in ``<app>/demo.py`` through ``seed(context)``; the context dict
carries what earlier apps created (organisations, users, certifications, paths...).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from cqp_portal.accounts.demo import login_lines

SEEDERS = [
    "certifications.demo",
    "financing.demo",
    "cqp_portal.accounts.demo",
    "certifications.demo_referentials",
    "candidates.demo",
    "financing.demo_lines",
    "juries.demo",
    "juries.certificates.demo",
]


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print one demo login per role."

    def handle(self, *args, **options):
        from importlib import import_module
        from importlib.util import find_spec

        context: dict = {"stdout": self.stdout}
        with transaction.atomic():
            for name in SEEDERS:
                if find_spec(name) is None:
                    continue
                self.stdout.write(f"- {name}")
                import_module(name).seed(context)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Demo logins (role, e-mail, password):"))
        for line in login_lines():
            self.stdout.write(line)
        self.stdout.write("Portal: http://127.0.0.1:8000/")
