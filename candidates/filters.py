"""Filters of the candidates API lists (django-filter; documented in the OpenAPI schema)."""

import django_filters as filters

from candidates.models import BlockAssessment, Candidate, Evidence, ExperienceRecord, Path, PathBlock
from certifications.models import Certification, SkillBlock
from cqp_portal.api import scoped


class CandidateFilter(filters.FilterSet):
    name = filters.CharFilter(method="filter_name", label="Part of the birth or usage name")
    created = filters.DateFromToRangeFilter(field_name="created_at")

    class Meta:
        model = Candidate
        fields = ["status", "name", "created"]

    def filter_name(self, queryset, name, value):
        return queryset.filter(birth_name__icontains=value) | queryset.filter(usage_name__icontains=value)


class PathFilter(filters.FilterSet):
    candidate = filters.ModelChoiceFilter(queryset=scoped(Candidate))
    certification = filters.ModelChoiceFilter(queryset=scoped(Certification))
    start_date = filters.DateFromToRangeFilter()
    created = filters.DateFromToRangeFilter(field_name="created_at")

    class Meta:
        model = Path
        fields = ["state", "certification", "candidate", "access_route", "start_date", "created"]


class PathBlockFilter(filters.FilterSet):
    path = filters.ModelChoiceFilter(queryset=scoped(Path))

    class Meta:
        model = PathBlock
        fields = ["path", "plan", "held_through"]


class AssessmentFilter(filters.FilterSet):
    path = filters.ModelChoiceFilter(queryset=scoped(Path))
    block = filters.ModelChoiceFilter(queryset=scoped(SkillBlock))
    assessed_on = filters.DateFromToRangeFilter()
    current = filters.BooleanFilter(
        method="filter_current", label="Only the current assessment of each block (corrections applied)"
    )

    class Meta:
        model = BlockAssessment
        fields = ["path", "block", "assessor_role", "outcome", "assessed_on", "current"]

    def filter_current(self, queryset, name, value):
        if value:
            return queryset.filter(superseded_by__isnull=True)
        return queryset


class EvidenceFilter(filters.FilterSet):
    path = filters.ModelChoiceFilter(queryset=scoped(Path))
    block = filters.ModelChoiceFilter(queryset=scoped(SkillBlock))
    uploaded = filters.DateFromToRangeFilter(field_name="uploaded_at")

    class Meta:
        model = Evidence
        fields = ["path", "block", "kind", "uploaded"]


class ExperienceRecordFilter(filters.FilterSet):
    path = filters.ModelChoiceFilter(queryset=scoped(Path))

    class Meta:
        model = ExperienceRecord
        fields = ["path", "status"]
