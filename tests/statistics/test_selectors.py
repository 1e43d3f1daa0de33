"""The aggregates on the known dataset of conftest.py (numbers checked by hand there)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from candidates.models import PathState
from cqp_portal.statistics import selectors
from financing.models import Scheme
from tests.statistics.conftest import STATES

pytestmark = pytest.mark.django_db


@pytest.fixture
def scope(dataset, certification):
    today = timezone.localdate()
    return selectors.Scope(
        certification_ids=[certification.pk], date_from=today - datetime.timedelta(days=365), date_to=today
    )


def test_paths_per_state_follow_the_funnel_without_drafts(scope):
    rows = selectors.paths_by_state(scope)
    assert {row["key"]: row["count"] for row in rows} == {str(k): v for k, v in STATES.items()}
    assert [row["key"] for row in rows] == [
        "registered",
        "positioning",
        "in_course",
        "in_evaluation",
        "ready_for_jury",
        "awarded",
        "partially_awarded",
        "refused",
        "withdrawn",
    ]


def test_vae_and_training(scope):
    routes = selectors.paths_by_access_route(scope)
    assert {row["key"]: row["count"] for row in routes} == {"vae": 3, "continuing": 8}
    assert selectors.vae_vs_training(routes) == {"vae": 3, "training": 8, "total": 11}


def test_outcomes_count_only_decisions_in_force(scope):
    outcomes = selectors.jury_outcomes(scope)
    assert {row["key"]: row["count"] for row in outcomes["rows"]} == {"total": 2, "partial": 1, "refused": 1}
    assert outcomes["decided"] == 4
    assert [row["share"] for row in outcomes["rows"]] == [Decimal("50.0"), Decimal("25.0"), Decimal("25.0")]


def test_block_success_rate_counts_decided_blocks_only(scope):
    rows = {row["code"]: row for row in selectors.block_success(scope)}
    assert {code: (row["validated"], row["decided"], row["rate"]) for code, row in rows.items()} == {
        "BC01": (3, 4, Decimal("75.0")),
        "BC02": (2, 4, Decimal("50.0")),
        "BC03": (1, 3, Decimal("33.3")),
    }


def test_assessments_count_the_correction_not_the_corrected(scope):
    rows = selectors.assessment_success(scope)
    assert [(row["code"], row["validated"], row["not_validated"], row["rate"]) for row in rows] == [
        ("BC01", 2, 1, Decimal("66.7"))
    ]


def test_median_time_from_registration_to_award(scope):
    assert selectors.time_to_award(scope) == {"count": 2, "median_days": Decimal("20.0")}


def test_median_fallback_without_percentile_gives_the_same_number(scope, monkeypatch):
    # ``make run`` uses SQLite, which has no percentile_cont: the durations are fetched instead.
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert selectors.time_to_award(scope) == {"count": 2, "median_days": Decimal("20.0")}


def test_median_ignores_awards_outside_the_period(scope):
    before = selectors.Scope(
        certification_ids=scope.certification_ids,
        date_from=scope.date_from,
        date_to=timezone.localdate() - datetime.timedelta(days=45),
    )
    # Only the award 10 days after a registration 60 days ago falls before that date.
    assert selectors.time_to_award(before) == {"count": 1, "median_days": Decimal("10.0")}


def test_funding_by_scheme_counts_committed_lines(scope):
    rows = selectors.funding_by_scheme(scope)
    assert [(row["key"], row["approved"], row["paid"], row["lines"], row["paths"]) for row in rows] == [
        (Scheme.PROFESSIONALISATION.value, Decimal("5000.00"), Decimal("2500.00"), 2, 2)
    ]


def test_period_filters_paths_by_registration(dataset, certification):
    last_year = timezone.localdate() - datetime.timedelta(days=400)
    scope = selectors.Scope(
        certification_ids=[certification.pk], date_from=last_year, date_to=last_year + datetime.timedelta(days=30)
    )
    assert all(row["count"] == 0 for row in selectors.paths_by_state(scope))
    assert selectors.jury_outcomes(scope)["decided"] == 0
    assert selectors.funding_by_scheme(scope) == []


def test_every_certification_for_staff_includes_other_branches(dataset):
    today = timezone.localdate()
    scope = selectors.Scope(certification_ids=None, date_from=today - datetime.timedelta(days=365), date_to=today)
    counts = {row["key"]: row["count"] for row in selectors.paths_by_state(scope)}
    assert counts[PathState.AWARDED] == 2 + 3


def test_period_days_are_local_days_at_both_ends(dataset, certification):
    """The period filters compare the timestamps with local midnights (Europe/Paris), which
    is what ``__date`` did: an award at 23:30 on the last day counts, one at 00:30 the day
    after does not, whatever the UTC offset (issue 11 rewrote the filters for the indexes)."""
    from tests.statistics.conftest import audit_at

    awarded = dataset[PathState.AWARDED][0]
    zone = timezone.get_current_timezone()
    day = datetime.date(2026, 3, 29)  # the night the clocks go forward in France
    registered = timezone.make_aware(datetime.datetime(2025, 1, 1, 12), zone)
    audit_at(awarded, PathState.REGISTERED, registered)  # before the dataset's: the first one
    audit_at(awarded, PathState.AWARDED, timezone.make_aware(datetime.datetime(2026, 3, 29, 23, 30), zone))
    audit_at(awarded, PathState.AWARDED, timezone.make_aware(datetime.datetime(2026, 3, 30, 0, 30), zone))
    audit_at(awarded, PathState.AWARDED, timezone.make_aware(datetime.datetime(2026, 3, 1, 0, 0), zone))
    scope = selectors.Scope(certification_ids=[certification.pk], date_from=datetime.date(2026, 3, 1), date_to=day)
    result = selectors.time_to_award(scope)
    assert result["count"] == 2  # 1 March 00:00 and 29 March 23:30
    first = awarded_registered_at(awarded)
    assert first == registered
    expected = [
        timezone.make_aware(datetime.datetime(2026, 3, 29, 23, 30), zone) - first,
        timezone.make_aware(datetime.datetime(2026, 3, 1, 0, 0), zone) - first,
    ]
    median = sum(expected, datetime.timedelta()) / 2
    assert result["median_days"] == (Decimal(median.total_seconds()) / Decimal(86400)).quantize(Decimal("0.1"))


def awarded_registered_at(path):
    from cqp_portal.audit.models import AuditEntry

    return (
        AuditEntry.objects.filter(object_id=str(path.pk), to_state=PathState.REGISTERED).order_by("at", "pk").first().at
    )


def test_an_award_without_a_registration_entry_is_left_out(dataset, scope):
    from tests.statistics.conftest import audit_at

    # A path imported as awarded: no ``registered`` transition in the trail.
    audit_at(dataset[PathState.PARTIALLY_AWARDED][0], PathState.AWARDED, timezone.now() - datetime.timedelta(days=1))
    assert selectors.time_to_award(scope) == {"count": 2, "median_days": Decimal("20.0")}
