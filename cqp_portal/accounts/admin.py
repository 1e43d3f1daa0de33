from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from cqp_portal.accounts.models import PersonalAccessToken, RoleAssignment, TokenSecondFactor, User
from cqp_portal.admin_readonly import ReadOnlyAdmin, ReadOnlyInline


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["branch", "training_provider", "funder"]


class PersonalAccessTokenInline(ReadOnlyInline):
    """Staff see a person's API tokens (never their keys: only a digest is kept); the person
    revokes them from their own page."""

    model = PersonalAccessToken
    fields = ["name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = fields


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [RoleAssignmentInline, PersonalAccessTokenInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Identity"), {"fields": ["first_name", "last_name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(TokenSecondFactor)
class TokenSecondFactorAdmin(ReadOnlyAdmin):
    """Which integration tokens were obtained with the second factor (set by the token endpoint only)."""

    list_display = ["token", "verified_at"]
