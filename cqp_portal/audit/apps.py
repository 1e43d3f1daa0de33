from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reinstall_sqlite_guards(sender, using="default", apps=None, **kwargs):
    """SQLite drops a table's triggers when a migration rebuilds it: after every migrate the
    integrity guards are installed again from the current models (cqp_portal.dbguards)."""
    from django.apps import apps as global_apps
    from django.db import connections

    from cqp_portal import dbguards

    dbguards.install_sqlite_guards(global_apps, connections[using])


class AuditConfig(AppConfig):
    name = "cqp_portal.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self):
        # Once per migrate (sent for the audit app only), after every app has migrated.
        post_migrate.connect(_reinstall_sqlite_guards, sender=self, dispatch_uid="cqp_sqlite_guards")
