"""Filters of the funding lines API list (django-filter; documented in the OpenAPI schema)."""

import django_filters as filters

from candidates.models import Path
from cqp_portal.api import scoped
from financing.models import Funder, FundingLine


class FundingLineFilter(filters.FilterSet):
    path = filters.ModelChoiceFilter(queryset=scoped(Path))
    funder = filters.ModelChoiceFilter(queryset=Funder.objects.all())
    start_date = filters.DateFromToRangeFilter()
    submitted = filters.DateFromToRangeFilter(field_name="submitted_at")

    class Meta:
        model = FundingLine
        fields = ["state", "scheme", "funder", "path", "start_date", "submitted"]
