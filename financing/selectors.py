"""Reads for the financing pages: the funder's requests, a path's funding summary, reports."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractYear

from candidates.models import BlockPlan, PathBlock
from cqp_portal import policy
from financing.models import COMMITTED_STATES, REQUESTED_STATES, CostRate, FundingLine, FundingState, Scheme

ZERO = Decimal("0.00")


def visible_lines(user):
    return policy.scope(user, FundingLine).select_related("path__candidate", "path__certification", "funder")


def funder_requests(user, *, state: str = ""):
    """Requests addressed to the officer's funder, those waiting for a decision first."""
    lines = visible_lines(user).exclude(state=FundingState.DRAFT)
    if state:
        lines = lines.filter(state=state)
    waiting_first = Case(
        When(state=FundingState.SUBMITTED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return lines.annotate(waiting_first=waiting_first).order_by("waiting_first", "-submitted_at", "-pk")


def path_lines(user, path):
    return visible_lines(user).filter(path=path).prefetch_related("blocks").order_by("created_at", "pk")


def hourly_rate_for(path) -> Decimal | None:
    rates = {
        ("path" if rate.path_id else "certification"): rate.hourly_rate
        for rate in CostRate.objects.filter(Q(path=path) | Q(certification_id=path.certification_id))
    }
    return rates.get("path", rates.get("certification"))


@dataclass
class BlockCost:
    code: str
    title: str
    plan_label: str
    hours: int
    cost: Decimal | None
    funded_by: list[str] = field(default_factory=list)

    @property
    def uncovered(self) -> bool:
        return bool(self.cost) and not self.funded_by


@dataclass
class FundingSummary:
    hourly_rate: Decimal | None
    blocks: list[BlockCost]
    cost: Decimal | None
    requested: Decimal
    approved: Decimal
    paid: Decimal

    @property
    def gap(self) -> Decimal:
        if self.cost is None:
            return ZERO
        return max(self.cost - self.approved, ZERO)

    @property
    def over_funding(self) -> Decimal:
        if self.cost is None:
            return ZERO
        return max(self.approved - self.cost, ZERO)

    @property
    def balanced(self) -> bool:
        return self.cost is not None and self.gap == ZERO and self.over_funding == ZERO


def path_funding_summary(path, lines) -> FundingSummary:
    """Cost of the blocks still to prepare (planned hours × hourly rate) against the funding.

    ``lines`` are the lines the viewer may see, with ``blocks`` prefetched.
    """
    rate = hourly_rate_for(path)
    funded_by: dict[int, list[str]] = defaultdict(list)
    requested = approved = paid = ZERO
    for line in lines:
        if line.state in REQUESTED_STATES:
            requested += line.amount_requested
        if line.state in COMMITTED_STATES:
            approved += line.amount_approved or ZERO
            paid += line.amount_paid or ZERO
            for block in line.blocks.all():
                funded_by[block.pk].append(line.funder.name)
    blocks = []
    for path_block in (
        PathBlock.objects.filter(path=path)
        .exclude(plan=BlockPlan.HELD)
        .select_related("block")
        .order_by("block__order")
    ):
        cost = (rate * path_block.planned_hours).quantize(Decimal("0.01")) if rate is not None else None
        blocks.append(
            BlockCost(
                code=path_block.block.code,
                title=path_block.block.title,
                plan_label=path_block.get_plan_display(),
                hours=path_block.planned_hours,
                cost=cost,
                funded_by=funded_by.get(path_block.block_id, []),
            )
        )
    cost = sum((b.cost for b in blocks), ZERO) if rate is not None and blocks else None
    return FundingSummary(hourly_rate=rate, blocks=blocks, cost=cost, requested=requested, approved=approved, paid=paid)


# --- reports ---------------------------------------------------------------------------

REPORT_DIMENSIONS = {
    "funder": ("funder__name",),
    "scheme": ("scheme",),
    "branch": ("path__certification__branches__name",),
    "certification": ("path__certification__title",),
    "year": ("year",),
}


def report_lines(user, *, year: int | None = None):
    """Lines that reached a funder, within the viewer's scope."""
    lines = policy.scope(user, FundingLine).filter(state__in=REQUESTED_STATES)
    lines = lines.annotate(year=ExtractYear("start_date"))
    if year:
        lines = lines.filter(start_date__year=year)
    return lines


def _amount(expression):
    return Coalesce(Sum(expression), Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2))


def report_rows(user, *, group_by: str, year: int | None = None) -> list[dict]:
    """Amounts requested / approved / paid and number of paths per ``group_by`` value (SQL)."""
    (column,) = REPORT_DIMENSIONS[group_by]
    # Scoping may join multi-valued relations: aggregate over the ids, not the joined rows.
    ids = report_lines(user, year=year).values("pk")
    rows = (
        FundingLine.objects.filter(pk__in=ids)
        .annotate(year=ExtractYear("start_date"))
        .values(column)
        .annotate(
            requested=_amount("amount_requested"),
            approved=_amount("amount_approved"),
            paid=_amount("amount_paid"),
            lines=Count("pk", distinct=True),
            paths=Count("path", distinct=True),
        )
        .order_by(column)
    )
    scheme_labels = dict(Scheme.choices)
    result = []
    for row in rows:
        key = row[column]
        label = scheme_labels.get(key, key) if group_by == "scheme" else key
        result.append(
            {
                "key": key,
                "label": "—" if label is None else str(label),
                **{k: row[k] for k in ("requested", "approved", "paid", "lines", "paths")},
            }
        )
    return result


def report_years(user) -> list[int]:
    ids = policy.scope(user, FundingLine).filter(state__in=REQUESTED_STATES).values("pk")
    return sorted(
        FundingLine.objects.filter(pk__in=ids)
        .annotate(year=ExtractYear("start_date"))
        .values_list("year", flat=True)
        .distinct(),
        reverse=True,
    )


def approved_by_scheme_and_year(user) -> dict[tuple[str, int], Decimal]:
    """Approved amounts per (scheme, year) for the chart, summed in SQL."""
    ids = policy.scope(user, FundingLine).filter(state__in=COMMITTED_STATES).values("pk")
    rows = (
        FundingLine.objects.filter(pk__in=ids)
        .annotate(year=ExtractYear("start_date"))
        .values("scheme", "year")
        .annotate(approved=_amount("amount_approved"))
        .order_by("year", "scheme")
    )
    return {(row["scheme"], row["year"]): row["approved"] for row in rows}
