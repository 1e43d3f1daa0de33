from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "cqp_portal.audit"
    label = "audit"
    verbose_name = "Audit"
