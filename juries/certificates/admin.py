"""Read-only admin: certificates change only through services (numbering, audit, PDF)."""

from django.contrib import admin

from cqp_portal.admin_readonly import ReadOnlyAdmin
from juries.certificates.models import (
    CdcCertifier,
    CdcDeadlineReminder,
    CdcExport,
    CdcExportJob,
    CdcPassage,
    CdcReport,
    Certificate,
    CertificateCounter,
)


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "state", "holder_birth_name", "holder_first_names", "award_date"]
    list_filter = ["state", "kind", "year", "cdc_status"]
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


class CdcPassageInline(admin.TabularInline):
    model = CdcPassage
    fields = readonly_fields = ["id_technique", "certificate", "accepted", "message"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CdcReport)
class CdcReportAdmin(admin.ModelAdmin):
    """Imported through the CDC board or ``import_cdc_report`` only (statuses follow the import)."""

    list_display = ["file_name", "export", "accepted", "rejected", "imported_at"]
    readonly_fields = [f.name for f in CdcReport._meta.fields]
    inlines = [CdcPassageInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CdcDeadlineReminder)
class CdcDeadlineReminderAdmin(admin.ModelAdmin):
    list_display = ["certificate", "days", "sent_at"]
    readonly_fields = ["certificate", "days", "sent_at"]

    def has_add_permission(self, request):
        return False
