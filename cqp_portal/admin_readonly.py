"""The Django admin's view of records that only the services may write.

Staff can read every model in the admin; where a change must go through a service (a
transition with its audit row, a decision, a certificate), the admin shows the record and its
related rows read-only: no add, no change, no delete (the services and their audit trail stay
the only way to write).
"""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
