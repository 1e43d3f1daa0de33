from django.contrib import admin

from financing import models


@admin.register(models.Funder)
class FunderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(models.CostRate)
class CostRateAdmin(admin.ModelAdmin):
    list_display = ["__str__", "certification", "path", "hourly_rate"]
    raw_id_fields = ["path"]


@admin.register(models.FundingLine)
class FundingLineAdmin(admin.ModelAdmin):
    """Read only: funding lines change through the services (audited transitions)."""

    list_display = ["pk", "path", "scheme", "funder", "state", "amount_requested", "amount_approved"]
    list_filter = ["state", "scheme", "funder__kind"]
    search_fields = ["path__candidate__birth_name", "funder__name", "cpf_file_number", "funder_reference"]
    raw_id_fields = ["path", "funder"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
