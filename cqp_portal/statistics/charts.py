"""Server-side SVG horizontal bar charts (no JavaScript library, nothing from a CDN).

The geometry is computed here and drawn by ``templates/statistics/includes/bar_chart.html``.
Every bar carries its value as text and a ``<title>``, so colour is never the only signal;
the page shows the same numbers in a table right after each chart, for screen readers.

``financing.charts`` draws the funding report's stacked bars per year; its scheme colours
are reused here so that a scheme has the same colour on both pages.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from financing.charts import SCHEME_COLOURS

WIDTH = 720
PLOT_LEFT = 270  # room for the category labels
VALUE_ROOM = 190  # room right of the longest bar for its value text
BAR_HEIGHT = 18
BAR_GAP = 4
CATEGORY_GAP = 14
TOP = 8
LABEL_CHARS = 38

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILION, SKY, PURPLE, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#6B6B6B",
)
__all__ = ["SCHEME_COLOURS", "BarChart", "Item", "Value", "bar_chart", "count", "euros", "percent"]


def count(value) -> str:
    return number_format(value, 0, force_grouping=True)


def percent(value) -> str:
    return "—" if value is None else number_format(value, 1) + "\u00a0%"


def euros(value) -> str:
    return number_format(value, 0, force_grouping=True) + "\u00a0€"


@dataclass
class Value:
    """One bar: ``text`` is what the reader sees next to it (the formatted amount)."""

    amount: Decimal | int
    text: str
    colour: str = BLUE
    series: str = ""
    opacity: float = 1.0


@dataclass
class Item:
    label: str
    values: list[Value]


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    opacity: float
    text: str
    text_x: float
    text_y: float
    title: str


@dataclass
class Row:
    label: str
    full_label: str
    label_y: float
    bars: list[Bar] = field(default_factory=list)

    def svg(self) -> str:
        """The row's label and bars. Written here rather than by template nodes: a chart of
        120 blocks cost ~100 ms through the template (issue 11); the markup is the same."""
        parts = [
            f'<text x="{PLOT_LEFT - 8}" y="{self.label_y:.1f}" text-anchor="end" dominant-baseline="middle"'
            f' font-size="13" fill="#1b1b1b"><title>{escape(self.full_label)}</title>{escape(self.label)}</text>'
        ]
        for bar in self.bars:
            colour = escape(bar.colour)
            parts.append(
                f'<rect x="{bar.x:.1f}" y="{bar.y:.1f}" width="{bar.width:.1f}" height="{bar.height:.1f}"'
                f' fill="{colour}" fill-opacity="{bar.opacity:.2f}" stroke="{colour}" stroke-width="1">'
                f"<title>{escape(bar.title)}</title></rect>"
                f'<text x="{bar.text_x:.1f}" y="{bar.text_y:.1f}" dominant-baseline="middle" font-size="13"'
                f' fill="#1b1b1b">{escape(bar.text)}</text>'
            )
        return "\n".join(parts)


@dataclass
class BarChart:
    slug: str
    title: str
    description: str
    rows: list[Row]
    width: int = WIDTH
    height: int = 0
    plot_left: int = PLOT_LEFT
    empty: bool = True

    def rows_svg(self) -> str:
        return mark_safe("\n".join(row.svg() for row in self.rows))  # noqa: S308 (Row.svg escapes every text)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def bar_chart(
    slug: str, title: str, description: str, items: list[Item], *, scale_max: Decimal | int | None = None
) -> BarChart:
    """Horizontal bars, one group per item, one bar per value; lengths relative to the largest
    value (or ``scale_max``, e.g. 100 for percentages)."""
    top = scale_max or max((value.amount for item in items for value in item.values), default=0)
    chart = BarChart(slug=slug, title=title, description=description, rows=[])
    if not items or not top:
        return chart
    plot_width = WIDTH - PLOT_LEFT - VALUE_ROOM
    y = TOP
    for item in items:
        group_height = len(item.values) * BAR_HEIGHT + (len(item.values) - 1) * BAR_GAP
        row = Row(label=_short(item.label), full_label=item.label, label_y=y + group_height / 2)
        for index, value in enumerate(item.values):
            bar_y = y + index * (BAR_HEIGHT + BAR_GAP)
            width = float(Decimal(value.amount) / Decimal(top)) * plot_width
            text = (
                _("%(series)s: %(value)s") % {"series": value.series, "value": value.text}
                if value.series
                else value.text
            )
            row.bars.append(
                Bar(
                    x=PLOT_LEFT,
                    y=bar_y,
                    width=max(width, 0),
                    height=BAR_HEIGHT,
                    colour=value.colour,
                    opacity=value.opacity,
                    text=text,
                    text_x=PLOT_LEFT + max(width, 0) + 6,
                    text_y=bar_y + BAR_HEIGHT / 2,
                    title=f"{item.label} — {text}",
                )
            )
        chart.rows.append(row)
        y += group_height + CATEGORY_GAP
    chart.height = int(y - CATEGORY_GAP + TOP)
    chart.empty = False
    return chart
