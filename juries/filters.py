"""Filters of the juries API lists (django-filter; documented in the OpenAPI schema)."""

import django_filters as filters

from candidates.models import Path
from certifications.models import Certification
from cqp_portal.api import scoped
from juries.models import Decision, Dossier, JuryMember, JurySession


class JurySessionFilter(filters.FilterSet):
    certification = filters.ModelChoiceFilter(field_name="certifications", queryset=scoped(Certification))
    date = filters.DateFromToRangeFilter()

    class Meta:
        model = JurySession
        fields = ["state", "certification", "date"]


class JuryMemberFilter(filters.FilterSet):
    session = filters.ModelChoiceFilter(queryset=scoped(JurySession))

    class Meta:
        model = JuryMember
        fields = ["session", "college", "is_president"]


class DossierFilter(filters.FilterSet):
    session = filters.ModelChoiceFilter(queryset=scoped(JurySession))
    path = filters.ModelChoiceFilter(queryset=scoped(Path))

    class Meta:
        model = Dossier
        fields = ["session", "path", "is_open"]


class DecisionFilter(filters.FilterSet):
    dossier = filters.ModelChoiceFilter(queryset=scoped(Dossier))
    session = filters.ModelChoiceFilter(field_name="dossier__session", queryset=scoped(JurySession))
    path = filters.ModelChoiceFilter(field_name="dossier__path", queryset=scoped(Path))
    decided = filters.DateFromToRangeFilter(field_name="decided_at")

    class Meta:
        model = Decision
        fields = ["dossier", "session", "path", "state", "outcome", "is_current", "decided"]
