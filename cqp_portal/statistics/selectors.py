"""The aggregates of the statistics page, one SQL query each (whatever the number of paths).

Period semantics (shown on the page next to each section):

- states and access routes: paths registered (created) in the period, by their current state;
- jury outcomes and block success: final, non-superseded decisions taken in the period;
- assessments: current (non-superseded) block assessments dated in the period;
- median time to award: paths fully awarded in the period (audit trail: the ``registered``
  transition to the ``awarded`` one);
- funding: funding lines starting in the period.
"""

import datetime
import statistics as pystats
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from candidates.models import AccessRoute, AssessmentOutcome, BlockAssessment, Path, PathState
from cqp_portal.audit.models import AuditEntry
from financing.models import COMMITTED_STATES, FundingLine, Scheme
from juries.models import BlockDecision, Decision, DecisionState, Outcome

ZERO = Decimal("0.00")

# The funnel, in the order a path goes through it; draft paths are not registered yet.
FUNNEL_STATES = [
    PathState.REGISTERED,
    PathState.ADMISSIBILITY,
    PathState.ADMISSIBLE,
    PathState.INADMISSIBLE,
    PathState.POSITIONING,
    PathState.IN_COURSE,
    PathState.IN_EVALUATION,
    PathState.READY_FOR_JURY,
    PathState.AWARDED,
    PathState.PARTIALLY_AWARDED,
    PathState.REFUSED,
    PathState.WITHDRAWN,
]
# VAE states only appear when a VAE path reached them: the funnel of a training-only
# certification stays short.
VAE_ONLY_STATES = (PathState.ADMISSIBILITY, PathState.ADMISSIBLE, PathState.INADMISSIBLE)


@dataclass(frozen=True)
class Scope:
    """What the page covers: ``certification_ids`` None means every certification (staff)."""

    certification_ids: list[int] | None
    date_from: datetime.date
    date_to: datetime.date

    def paths(self) -> QuerySet:
        qs = Path.objects.all()
        if self.certification_ids is not None:
            qs = qs.filter(certification_id__in=self.certification_ids)
        return qs

    def on(self, prefix: str) -> Q:
        """The certification filter seen from another model (``prefix`` leads to a Path)."""
        if self.certification_ids is None:
            return Q()
        return Q(**{f"{prefix}__certification_id__in": self.certification_ids})

    @property
    def dates(self) -> tuple[datetime.date, datetime.date]:
        return (self.date_from, self.date_to)

    def during(self, field: str) -> Q:
        """``field`` (a datetime) falls on a day of the period, in the current time zone.

        The same rows as ``{field}__date__range``, written as a half-open range on the column
        itself: PostgreSQL can then use an index and its statistics. On the date of a
        converted timestamp it guessed ~130 rows for ~19,000 and chose nested loops
        (bench/RESULTS.md, issue 11)."""
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.date_from, datetime.time.min)
        end = datetime.datetime.combine(self.date_to + datetime.timedelta(days=1), datetime.time.min)
        if not settings.USE_TZ:
            return Q(**{f"{field}__gte": start, f"{field}__lt": end})
        return Q(**{f"{field}__gte": timezone.make_aware(start, zone), f"{field}__lt": timezone.make_aware(end, zone)})


# --- candidates per state (funnel) -------------------------------------------------------


def paths_by_state(scope: Scope) -> list[dict]:
    counts = dict(
        scope.paths()
        .filter(scope.during("created_at"))
        .exclude(state=PathState.DRAFT)
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
        .order_by()
    )
    return [
        {"key": str(state), "label": str(state.label), "count": counts.get(state, 0)}
        for state in FUNNEL_STATES
        if state not in VAE_ONLY_STATES or counts.get(state)
    ]


# --- VAE vs training ---------------------------------------------------------------------


def paths_by_access_route(scope: Scope) -> list[dict]:
    counts = dict(
        scope.paths()
        .filter(scope.during("created_at"))
        .exclude(state=PathState.DRAFT)
        .values("access_route")
        .annotate(n=Count("pk"))
        .values_list("access_route", "n")
        .order_by()
    )
    return [
        {
            "key": route.value,
            "label": str(route.label),
            "is_vae": route == AccessRoute.VAE,
            "count": counts.get(route.value, 0),
        }
        for route in AccessRoute
        if counts.get(route.value)
    ]


def vae_vs_training(routes: list[dict]) -> dict:
    vae = sum(r["count"] for r in routes if r["is_vae"])
    training = sum(r["count"] for r in routes if not r["is_vae"])
    return {"vae": vae, "training": training, "total": vae + training}


# --- jury outcomes and block success ------------------------------------------------------


def _final_decisions(scope: Scope) -> Q:
    # The decision in force: final and not superseded by a correction or an upheld appeal.
    return Q(state=DecisionState.FINAL, is_current=True) & scope.during("decided_at") & scope.on("dossier__path")


def jury_outcomes(scope: Scope) -> dict:
    totals = Decision.objects.filter(_final_decisions(scope)).aggregate(
        total=Count("pk", filter=Q(outcome=Outcome.TOTAL)),
        partial=Count("pk", filter=Q(outcome=Outcome.PARTIAL)),
        refused=Count("pk", filter=Q(outcome=Outcome.REFUSED)),
    )
    rows = [
        {"key": outcome.value, "label": str(outcome.label), "count": totals[key]}
        for outcome, key in ((Outcome.TOTAL, "total"), (Outcome.PARTIAL, "partial"), (Outcome.REFUSED, "refused"))
    ]
    decided = sum(row["count"] for row in rows)
    for row in rows:
        row["share"] = _percent(row["count"], decided)
    return {"rows": rows, "decided": decided}


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


def block_success(scope: Scope) -> list[dict]:
    """Per block: blocks decided by the jury (held blocks are not decided again) and validated."""
    decision_ids = Decision.objects.filter(_final_decisions(scope)).values("pk")
    rows = (
        BlockDecision.objects.filter(decision_id__in=decision_ids, held=False, validated__isnull=False)
        .values("block_id")
        .annotate(decided=Count("pk"), validated=Count("pk", filter=Q(validated=True)), **BLOCK_LABELS)
        .order_by(*BLOCK_ORDER)
    )
    return [_block_row(row, row["validated"], row["decided"]) for row in rows]


def assessment_success(scope: Scope) -> list[dict]:
    """Per block: current assessments acquired / not acquired (a correction replaces its row)."""
    rows = (
        # Not among the corrected ones: NOT IN over the (few) corrections, which PostgreSQL
        # hashes once. A LEFT JOIN … IS NULL on the reverse one-to-one made it guess 1 row and
        # nest loops over every assessment (~0.6 s at 100,000 candidates, bench/RESULTS.md);
        # NOT EXISTS still probed the index once per assessment (~40,000 probes, ~30 % slower).
        # The subquery excludes NULLs, without which NOT IN would match nothing.
        BlockAssessment.objects.filter(
            scope.on("path"),
            ~Q(pk__in=BlockAssessment.objects.filter(supersedes__isnull=False).values("supersedes_id")),
            assessed_on__range=scope.dates,
        )
        .values("block_id")
        .annotate(
            decided=Count("pk"),
            validated=Count("pk", filter=Q(outcome=AssessmentOutcome.ACQUIRED)),
            **BLOCK_LABELS,
        )
        .order_by(*BLOCK_ORDER)
    )
    return [_block_row(row, row["validated"], row["decided"]) for row in rows]


# Grouped by the block alone, its labels taken with MIN() (one value per block): PostgreSQL
# then counts ~40,000 rows in a hash by an integer and sorts the ~120 results, where
# grouping by the titles sorted every row by text first (bench/RESULTS.md, issue 11).
BLOCK_LABELS = {
    "code": Min("block__code"),
    "title": Min("block__title"),
    "order": Min("block__order"),
    "version": Min("block__version__number"),
    "certification": Min("block__version__certification__title"),
}
BLOCK_ORDER = ("certification", "version", "order", "block_id")


def _block_row(row: dict, validated: int, decided: int) -> dict:
    return {
        "key": row["block_id"],
        "code": row["code"],
        "title": row["title"],
        "version": row["version"],
        "certification": row["certification"],
        "label": f"{row['code']} {row['title']}",
        "decided": decided,
        "validated": validated,
        "not_validated": decided - validated,
        "rate": _percent(validated, decided),
    }


# --- median time from registration to award ----------------------------------------------


class Median(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(0.5)``; works on intervals too."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def _path_audit(to_state: str) -> QuerySet:
    # The content type by its natural key rather than ContentType.get_for_model, whose
    # per-process cache would make the page's first request cost one more query; as a scalar
    # subquery, which PostgreSQL evaluates once (an InitPlan), not as a join repeated for
    # every award's lookup of its registration.
    path_type = ContentType.objects.filter(app_label="candidates", model="path").values("pk")[:1]
    return AuditEntry.objects.filter(content_type_id=Subquery(path_type), to_state=to_state)


def time_to_award(scope: Scope) -> dict:
    """Median days from the ``registered`` transition to the ``awarded`` one, over the paths
    fully awarded in the period. PostgreSQL computes it (percentile_cont); SQLite (``make run``)
    has no percentile: there the durations are fetched in the same single query and the
    median is taken in Python."""
    path_ids = scope.paths().annotate(pk_text=Cast("pk", CharField())).values("pk_text")
    # The first ``registered`` entry of the path: found through the index on (content type,
    # object, at), once per award in the period.
    registered_at = (
        _path_audit(PathState.REGISTERED).filter(object_id=OuterRef("object_id")).order_by("at", "pk").values("at")[:1]
    )
    # The awards of the period come from the index on (content type, to state, at)
    # (cqp_portal/audit/migrations/0003). An award without a ``registered`` entry has a NULL
    # duration, which COUNT(registered_at) and percentile_cont leave out: filtering on it as
    # well made PostgreSQL run the subquery twice per award.
    awards = (
        _path_audit(PathState.AWARDED)
        .filter(scope.during("at"), object_id__in=path_ids)
        .annotate(registered_at=Subquery(registered_at))
    )
    if connection.vendor == "postgresql":
        duration = ExpressionWrapper(F("at") - F("registered_at"), output_field=DurationField())
        result = awards.aggregate(count=Count("registered_at"), median=Median(duration, output_field=DurationField()))
        count, median = result["count"], result["median"]
    else:
        durations = [
            at - registered for at, registered in awards.values_list("at", "registered_at") if registered is not None
        ]
        count = len(durations)
        median = pystats.median(durations) if durations else None
    days = None
    if median is not None:
        days = (Decimal(median.total_seconds()) / Decimal(86400)).quantize(Decimal("0.1"))
    return {"count": count, "median_days": days}


# --- funding by scheme -------------------------------------------------------------------


def _amount(expression):
    return Coalesce(Sum(expression), Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2))


def funding_by_scheme(scope: Scope) -> list[dict]:
    """Approved (approved, invoiced or paid lines) and paid amounts per scheme."""
    rows = (
        FundingLine.objects.filter(scope.on("path"), start_date__range=scope.dates, state__in=COMMITTED_STATES)
        .values("scheme")
        .annotate(
            approved=_amount("amount_approved"),
            paid=_amount("amount_paid"),
            lines=Count("pk"),
            paths=Count("path", distinct=True),
        )
        .order_by("scheme")
    )
    by_scheme = {row["scheme"]: row for row in rows}
    return [
        {
            "key": scheme.value,
            "label": str(scheme.label),
            "approved": by_scheme[scheme.value]["approved"],
            "paid": by_scheme[scheme.value]["paid"],
            "lines": by_scheme[scheme.value]["lines"],
            "paths": by_scheme[scheme.value]["paths"],
        }
        for scheme in Scheme
        if scheme.value in by_scheme
    ]
