from django.contrib import admin

from certifications import models
from cqp_portal.admin_readonly import ReadOnlyAdmin


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


class FrozenUnlessDraftMixin:
    """Content of a published or retired version is read-only in the admin too (the model
    guard and the PostgreSQL trigger refuse it anyway; this avoids offering the form)."""

    def _version_of(self, obj):
        if obj is None:
            return None
        return obj if isinstance(obj, models.ReferentialVersion) else getattr(obj, "version", None)

    def _frozen(self, obj) -> bool:
        version = self._version_of(obj)
        return version is not None and version.state != models.ReferentialState.DRAFT

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class FrozenInlineMixin(FrozenUnlessDraftMixin):
    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)


class ActivityInline(FrozenInlineMixin, admin.TabularInline):
    model = models.Activity
    extra = 0


class SkillBlockInline(FrozenInlineMixin, admin.TabularInline):
    model = models.SkillBlock
    extra = 0
    fields = ["order", "code", "title", "mandatory"]
    show_change_link = True


class BlockVersionMappingInline(admin.TabularInline):
    """Read-only: the correspondence is written by the publication only (version_publish)."""

    model = models.BlockVersionMapping
    fk_name = "version"
    extra = 0
    fields = readonly_fields = ["old_block", "new_block", "automatic"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.ReferentialVersion)
class ReferentialVersionAdmin(FrozenUnlessDraftMixin, admin.ModelAdmin):
    list_display = ["certification", "number", "state", "published_at"]
    list_filter = ["state"]
    readonly_fields = ["state", "published_at", "retired_at"]
    inlines = [ActivityInline, SkillBlockInline, BlockVersionMappingInline]


class CompetencyInline(FrozenInlineMixin, admin.TabularInline):
    model = models.Competency
    extra = 0


class ModalityInline(FrozenInlineMixin, admin.TabularInline):
    model = models.EvaluationModality
    extra = 0


class CriterionInline(FrozenInlineMixin, admin.TabularInline):
    model = models.Criterion
    extra = 0


@admin.register(models.SkillBlock)
class SkillBlockAdmin(FrozenUnlessDraftMixin, admin.ModelAdmin):
    list_display = ["code", "title", "version", "mandatory"]
    list_select_related = ["version__certification"]
    search_fields = ["code", "title"]
    inlines = [CompetencyInline, ModalityInline, CriterionInline]

    def has_add_permission(self, request):
        return False  # blocks are added to a draft from the version page


@admin.register(models.BlockEquivalence)
class BlockEquivalenceAdmin(admin.ModelAdmin):
    list_display = ["from_block", "to_block", "bidirectional"]
    raw_id_fields = ["from_block", "to_block"]


@admin.register(models.ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "state", "created_by", "created_at", "message"]
    readonly_fields = [f.name for f in models.ImportJob._meta.fields]


@admin.register(models.Habilitation)
class HabilitationAdmin(admin.ModelAdmin):
    list_display = ["certification", "kind", "training_provider", "evaluator", "valid_from", "valid_until"]
    list_filter = ["kind"]


@admin.register(models.RegistrationReminder)
class RegistrationReminderAdmin(ReadOnlyAdmin):
    """Written by the beat task before its e-mail: read-only, or a reminder could be forged or lost."""

    list_display = ["registration", "months", "end_date", "sent_at"]
