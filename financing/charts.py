"""Server-side SVG chart of approved funding by scheme over the years (no JavaScript library).

The geometry is computed here; ``templates/financing/includes/scheme_chart.svg`` draws it. The
same numbers are shown in a table next to the chart for screen readers and for copying.
"""

from dataclasses import dataclass
from decimal import Decimal

from financing.models import Scheme

# Distinct, colour-blind friendly (Okabe-Ito + two darker tones); every segment also has a title.
SCHEME_COLOURS = {
    Scheme.PLAN: "#0072B2",
    Scheme.PROFESSIONALISATION: "#E69F00",
    Scheme.PRO_A: "#009E73",
    Scheme.CPF: "#CC79A7",
    Scheme.CPF_TRANSITION: "#56B4E9",
    Scheme.POEI: "#D55E00",
    Scheme.POEC: "#8C6D00",
    Scheme.VAE: "#000000",
    Scheme.SELF: "#6B6B6B",
}

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 90, 20, 20, 40


@dataclass
class Segment:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass
class Chart:
    width: int
    height: int
    segments: list[Segment]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    legend: list[tuple[str, str]]
    years: list[int]
    schemes: list[tuple[str, str]]
    table: list[tuple[int, list[Decimal], Decimal]]
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not self.years


def _nice_max(value: Decimal) -> Decimal:
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def _euros(value: Decimal) -> str:
    return f"{int(value):,}".replace(",", "\u202f") + " €"


def scheme_chart(data: dict[tuple[str, int], Decimal]) -> Chart:
    """Stacked bars: one bar per year, one segment per scheme (approved amounts)."""
    years = sorted({year for _scheme, year in data if year is not None})
    schemes = [s for s in Scheme if any((s.value, y) in data for y in years)]
    totals = {y: sum((data.get((s.value, y), Decimal(0)) for s in schemes), Decimal(0)) for y in years}
    top = _nice_max(max(totals.values(), default=Decimal(0)))
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / max(len(years), 1)
    bar = min(slot * 0.6, 80)
    segments, x_labels = [], []
    for index, year in enumerate(years):
        x = LEFT + index * slot + (slot - bar) / 2
        y_cursor = HEIGHT - BOTTOM
        for scheme in schemes:
            amount = data.get((scheme.value, year), Decimal(0))
            if not amount:
                continue
            height = float(amount / top) * plot_height
            y_cursor -= height
            segments.append(
                Segment(x, y_cursor, bar, height, SCHEME_COLOURS[scheme], f"{year} — {scheme.label}: {_euros(amount)}")
            )
        x_labels.append((x + bar / 2, str(year)))
    y_ticks = [(HEIGHT - BOTTOM - plot_height * i / 4, _euros(top * i / 4)) for i in range(5)]
    table = [(y, [data.get((s.value, y), Decimal(0)) for s in schemes], totals[y]) for y in years]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        segments=segments,
        x_labels=x_labels,
        y_ticks=y_ticks,
        legend=[(SCHEME_COLOURS[s], str(s.label)) for s in schemes],
        years=years,
        schemes=[(s.value, str(s.label)) for s in schemes],
        table=table,
    )
