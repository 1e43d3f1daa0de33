"""Read-only admin: certificates change only through services (numbering, audit, PDF)."""

from django.contrib import admin

from cqp_portal.admin_readonly import ReadOnlyAdmin
from juries.certificates.models import CdcCertifier, CdcExport, CdcExportJob, Certificate, CertificateCounter


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "state", "holder_birth_name", "holder_first_names", "award_date"]
    list_filter = ["state", "kind", "year"]
    search_fields = ["number", "holder_birth_name", "holder_usage_name"]
    readonly_fields = [f.name for f in Certificate._meta.fields] + ["blocks"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted (domain.md "Certificates")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CdcCertifier)
class CdcCertifierAdmin(admin.ModelAdmin):
    list_display = ["commission", "id_client", "id_contract"]


@admin.register(CdcExport)
class CdcExportAdmin(admin.ModelAdmin):
    list_display = ["id_flux", "certifier", "created_at", "sha256"]
    readonly_fields = ["certifier", "id_flux", "certificates", "file", "sha256", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CertificateCounter)
class CertificateCounterAdmin(ReadOnlyAdmin):
    """Numbering counters: read-only, numbers are never reused (domain.md "Certificates")."""

    list_display = ["certification", "year", "last"]


@admin.register(CdcExportJob)
class CdcExportJobAdmin(ReadOnlyAdmin):
    list_display = ["pk", "state", "created_at"]
