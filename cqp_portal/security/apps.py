from django.apps import AppConfig


class SecurityConfig(AppConfig):
    # An app only so that its French catalog (locale/) is found.
    name = "cqp_portal.security"
    label = "security"
    verbose_name = "Security"
