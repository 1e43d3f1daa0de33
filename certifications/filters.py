"""Filters of the certifications API lists (django-filter; documented in the OpenAPI schema)."""

import django_filters as filters
from django.db.models import Q

from certifications.models import (
    BlockEquivalence,
    Branch,
    Certification,
    Habilitation,
    ReferentialVersion,
    SkillBlock,
    TrainingProvider,
)
from cqp_portal.api import scoped


class BranchFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Branch
        fields = ["idcc", "name"]


class CertificationFilter(filters.FilterSet):
    branch = filters.ModelChoiceFilter(field_name="branches", queryset=scoped(Branch))
    title = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Certification
        fields = ["kind", "code", "branch", "title"]


class ReferentialVersionFilter(filters.FilterSet):
    certification = filters.ModelChoiceFilter(queryset=scoped(Certification))
    published = filters.DateFromToRangeFilter(field_name="published_at")

    class Meta:
        model = ReferentialVersion
        fields = ["certification", "state", "published"]


class HabilitationFilter(filters.FilterSet):
    certification = filters.ModelChoiceFilter(queryset=scoped(Certification))
    training_provider = filters.ModelChoiceFilter(queryset=TrainingProvider.objects.all())
    valid_on = filters.DateFilter(method="filter_valid_on", label="Valid on this date")

    class Meta:
        model = Habilitation
        fields = ["certification", "kind", "training_provider", "valid_on"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=value), valid_from__lte=value)


class BlockEquivalenceFilter(filters.FilterSet):
    from_block = filters.ModelChoiceFilter(queryset=scoped(SkillBlock))
    to_block = filters.ModelChoiceFilter(queryset=scoped(SkillBlock))

    class Meta:
        model = BlockEquivalence
        fields = ["from_block", "to_block", "bidirectional"]
