"""Loads the demo data. Idempotent: running it twice changes nothing the second time.

Each app seeds its own part in ``<app>/demo.py`` through ``seed(context)``; the context dict
carries what earlier apps created (organisations, users, certifications, paths...).
"""

import logging
from contextlib import contextmanager
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
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

# The demo runs the lifecycle through the real services, so in-process tasks log one line each:
# hundreds of lines that would hide the logins table. Warnings and errors still show.
QUIET_LOGGERS = {"": logging.WARNING, "celery": logging.WARNING, "kombu": logging.ERROR}


@contextmanager
def _quiet():
    saved = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print one demo login per role."

    def handle(self, *args, **options):
        context: dict = {"stdout": self.stdout}
        with _quiet(), transaction.atomic():
            for name in SEEDERS:
                if find_spec(name) is None:
                    continue
                self.stdout.write(f"- {name}")
                import_module(name).seed(context)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Demo logins (role, e-mail, password):"))
        for line in login_lines():
            self.stdout.write(line)
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
            folder = settings.EMAIL_FILE_PATH
            self.stdout.write(f"E-mails sent by the portal are written to {folder}/ (one file per process).")
        self.stdout.write(f"Portal: {settings.SITE_URL}/")
