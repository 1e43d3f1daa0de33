"""Loads the demo data. Idempotent: running it twice changes nothing the second time."""

from django.core.management.base import BaseCommand
from django.db import transaction

from certifications.demo import seed_organisations
from cqp_portal.accounts.demo import login_lines, seed_users
from financing.demo import seed_funders


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print one demo login per role."

    def handle(self, *args, **options):
        with transaction.atomic():
            orgs = seed_organisations()
            funders = seed_funders(opcos=orgs["opcos"])
            seed_users(branches=orgs["branches"], providers=orgs["providers"], funders=funders)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Demo logins (role, e-mail, password):"))
        for line in login_lines():
            self.stdout.write(line)
        self.stdout.write("Portal: http://127.0.0.1:8000/")
