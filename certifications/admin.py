from django.contrib import admin

from certifications import models


@admin.register(models.Opco)
class OpcoAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name"]


@admin.register(models.Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["name", "idcc", "opco"]
    search_fields = ["name", "idcc"]


@admin.register(models.Commission)
class CommissionAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    filter_horizontal = ["branches"]


@admin.register(models.TrainingProvider)
class TrainingProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "siret", "city"]
    search_fields = ["name", "siret"]


class RegistrationInline(admin.StackedInline):
    model = models.Registration
    extra = 0


@admin.register(models.Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "code"]
    list_filter = ["kind"]
    search_fields = ["title", "code", "registration__number"]
    filter_horizontal = ["branches"]
    inlines = [RegistrationInline]


@admin.register(models.ReferentialVersion)
class ReferentialVersionAdmin(admin.ModelAdmin):
    list_display = ["certification", "number", "state", "published_at"]
    list_filter = ["state"]
    readonly_fields = ["state"]


@admin.register(models.Habilitation)
class HabilitationAdmin(admin.ModelAdmin):
    list_display = ["certification", "kind", "training_provider", "evaluator", "valid_from", "valid_until"]
    list_filter = ["kind"]
