"""Read-only admin: candidates, paths, assessments and the ledger change through the services
(transitions with their audit rows, positioning, assessments), never by editing rows."""

from django.contrib import admin

from candidates import models
from cqp_portal.admin_readonly import ReadOnlyAdmin, ReadOnlyInline


@admin.register(models.Candidate)
class CandidateAdmin(ReadOnlyAdmin):
    list_display = ["birth_name", "first_names", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["birth_name", "usage_name", "first_names", "email"]


class PathBlockInline(ReadOnlyInline):
    model = models.PathBlock


class ExperienceRecordInline(ReadOnlyInline):
    """The VAE experience the candidate declared (frozen once the admissibility request is sent)."""

    model = models.ExperienceRecord
    exclude = ["blocks"]


@admin.register(models.Path)
class PathAdmin(ReadOnlyAdmin):
    list_display = ["pk", "candidate", "certification", "state", "access_route", "created_at"]
    list_filter = ["state", "access_route"]
    search_fields = ["candidate__birth_name", "candidate__first_names", "certification__title"]
    list_select_related = ["candidate", "certification"]
    inlines = [PathBlockInline, ExperienceRecordInline]


@admin.register(models.Course)
class CourseAdmin(ReadOnlyAdmin):
    list_display = ["pk", "path"]


class CriterionResultInline(ReadOnlyInline):
    model = models.CriterionResult


@admin.register(models.BlockAssessment)
class BlockAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "path", "block", "outcome", "assessed_on"]
    list_filter = ["outcome"]
    list_select_related = ["path", "block"]
    inlines = [CriterionResultInline]


@admin.register(models.Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["pk", "path", "kind", "original_name", "uploaded_at"]
    list_filter = ["kind"]
    exclude = ["file"]  # the file is served only through the permission-checked views


@admin.register(models.AcquiredBlock)
class AcquiredBlockAdmin(ReadOnlyAdmin):
    list_display = ["pk", "candidate", "block", "source", "acquired_on"]
    list_filter = ["source"]
    list_select_related = ["candidate", "block"]


@admin.register(models.CompetencySelfAssessment)
class CompetencySelfAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "path_block", "competency", "level"]
