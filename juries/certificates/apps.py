from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "juries.certificates"
    label = "certificates"
    verbose_name = _("Certificates")

    def ready(self):
        # cqp_portal.policy imports only the four historical rule modules: ours registers here.
        from juries.certificates import policy, receivers  # noqa: F401
