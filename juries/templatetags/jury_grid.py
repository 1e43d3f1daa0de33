"""The rows of the deliberation grid, rendered in Python: a 200-dossier × 6-block grid has
1,200 cells with a select and an input each. Through template nodes, then through
``format_html`` per cell, they cost most of the page's time (bench/RESULTS.md); here each
row is one pass of plain string formatting over values escaped once (issue 11: ≤ 120 ms).

The labels are translated by templates/juries/grid.html (``{% translate "…" as t_… %}``),
whose catalog has them, once per page.
"""

from functools import lru_cache
from html import escape
from typing import NamedTuple

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import normalize_newlines

from juries.models import Outcome

register = template.Library()

LABELS = (
    "evaluators", "acquired", "not_acquired", "divergent", "not_presented", "held", "to_decide", "validated",
    "not_validated", "reasons", "expired",
)  # fmt: skip
ROW_LABELS = ("not_deciding", "recommendations", "undecided", "save")
# A number no URL of the portal holds: reversed once, then replaced by each row's ids.
SENTINEL = 2147483647

SELECT = (
    '<label class="visually-hidden" for="b-{d}-{b}">{code} — {name}</label>'
    '<select id="b-{d}-{b}" name="block_{b}" form="row-form-{d}"{cls}>{options}</select>'
    '<label class="visually-hidden" for="r-{d}-{b}">{reasons} {code}</label>'
    '<input id="r-{d}-{b}" name="reason_{b}" form="row-form-{d}" value="{value}" placeholder="{reasons}" size="12">'
)
ROW = (
    '<tr id="row-{d}">\n<th scope="row"><a href="{href}">{name}</a>{excluded}</th>\n{cells}\n'
    "<td>{text}</td>\n<td>{outcome}{form}</td>\n</tr>\n"
)
EDIT_TEXT = (
    '<label for="reasons-{d}">{t_reasons}</label>\n'
    '<textarea id="reasons-{d}" name="reasons" rows="2" form="row-form-{d}">{reasons}</textarea>\n'
    '<label for="reco-{d}">{t_reco}</label>\n'
    '<textarea id="reco-{d}" name="recommendations" rows="2" form="row-form-{d}">{reco}</textarea>'
)
FORM = (
    '\n<form id="row-form-{d}" method="post" action="{action}">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    '<input type="hidden" name="row_version" value="{version}">'
    '<button type="submit" class="button-small">{save}</button></form>'
)


class Markup:
    """The escaped pieces every cell of one page shares."""

    def __init__(self, labels: dict):
        t = {key: escape(str(value)) for key, value in labels.items()}
        self.t = t
        self.evaluators = {
            "acquired": f"<small>{t['evaluators']} {t['acquired']}</small><br>",
            "not_acquired": f"<small>{t['evaluators']} {t['not_acquired']}</small><br>",
        }
        self.divergent = f'<span class="badge badge-wait">{t["divergent"]}</span><br>'
        self.not_presented = f'<span class="badge badge-neutral">{t["not_presented"]}</span>'
        self.held = f'<span class="badge badge-ok">{t["held"]}</span>'
        self.validated = f'<span class="badge badge-ok">{t["validated"]}</span>'
        self.not_validated = f'<span class="badge badge-ko">{t["not_validated"]}</span>'
        self.to_decide = f'<span class="badge badge-wait">{t["to_decide"]}</span>'
        choices = (("", None, t["to_decide"]), ("1", True, t["validated"]), ("0", False, t["not_validated"]))
        self.options = {
            proposed: "".join(
                f'<option value="{value}"{" selected" if proposed is choice else ""}>{text}</option>'
                for value, choice, text in choices
            )
            for proposed in (None, True, False)
        }


def _markup(context) -> Markup:
    markup = context.render_context.get("jury_grid_markup")
    if markup is None:
        labels = {key: context.get(f"t_{key}", "") for key in LABELS + ROW_LABELS}
        markup = context.render_context["jury_grid_markup"] = Markup(labels)
    return markup


def cell_html(m: Markup, cell, dossier_id: int, name: str, editable: bool, code: str) -> str:
    """One cell; ``name`` and ``code`` are already escaped. ``editable``: the row's decision is
    a proposal the user may change."""
    parts = []
    if cell.evaluator_outcome:
        parts.append(m.evaluators["acquired" if cell.evaluator_outcome == "acquired" else "not_acquired"])
    if cell.divergent:
        parts.append(m.divergent)
    decision = cell.block_decision
    if decision and getattr(decision, "expired_on", None):
        # Positioned as held, expired before the jury date: not counted, to be assessed again.
        parts.append(f'<span class="badge badge-ko">{m.t["expired"]} {decision.expired_on:%d/%m/%Y}</span><br>')
    if not decision:
        parts.append(m.not_presented)
    elif decision.held:
        parts.append(m.held)
    elif editable:
        parts.append(
            SELECT.format(
                d=dossier_id,
                b=cell.block.pk,
                code=code,
                name=name,
                cls=' class="proposed"' if decision.validated is None else "",
                options=m.options[cell.proposed],
                reasons=m.t["reasons"],
                value=escape(decision.reasons),
            )
        )
    elif decision.validated:
        parts.append(m.validated)
    elif decision.validated is False:
        parts.append(m.not_validated)
    else:
        parts.append(m.to_decide)
    return "".join(parts)


@register.simple_tag(takes_context=True)
def grid_cell(context, cell, row, editable: bool) -> str:
    """One cell of a deliberation_grid row (model instances)."""
    editable = editable and row.decision.state == "proposed"
    name = escape(row.dossier.path.candidate.display_name)
    return mark_safe(cell_html(_markup(context), cell, row.dossier.pk, name, editable, escape(cell.block.code)))  # noqa: S308 (escaped)


def _linebreaksbr(value: str) -> str:
    return escape(normalize_newlines(value)).replace("\n", "<br>")


# Every "<" of a value is escaped: this one can only come from FORM, and is replaced by the
# request's CSRF token after the rows are joined, so that no token is ever cached.
TOKEN = "<csrf-token>"  # noqa: S105 (a placeholder, not a secret)


class RowContext(NamedTuple):
    """Everything a row's HTML depends on besides the row itself: the translated labels (so,
    the language), whether the user may edit, and the session's URLs."""

    labels: tuple[tuple[str, str], ...]
    editable: bool
    detail: tuple[str, str]
    save: tuple[str, str]


@lru_cache(maxsize=16)
def _markup_for(labels: tuple[tuple[str, str], ...]) -> Markup:
    return Markup(dict(labels))


@lru_cache(maxsize=2048)
def row_html(row, ctx: RowContext) -> str:
    """One row of selectors.grid_page. Cached per process with the row's own values as the
    key (selectors.GridLine is tuples all the way down): a row whose decision, assessments,
    exclusions or candidate changed is a new key, never a stale fragment. 2,048 rows of
    ~4 KB: 10 grids of 200 dossiers, ~8 MB per worker at most."""
    m = _markup_for(ctx.labels)
    t = m.t
    d = row.dossier_id
    name = escape(row.name)
    decision = row.decision
    editable = ctx.editable and decision is not None and decision.state == "proposed"
    cells = "".join(f"<td>{cell_html(m, cell, d, name, editable, escape(cell.block.code))}</td>" for cell in row.cells)
    if editable:
        text = EDIT_TEXT.format(
            d=d,
            t_reasons=t["reasons"],
            reasons=escape(decision.reasons),
            t_reco=t["recommendations"],
            reco=escape(decision.recommendations),
        )
        form = FORM.format(
            d=d,
            action=f"{ctx.save[0]}{decision.pk}{ctx.save[1]}",
            token=TOKEN,
            version=decision.row_version,
            save=t["save"].replace("__name__", name),
        )
    else:
        text = _linebreaksbr(decision.reasons) if decision else ""
        if decision and decision.recommendations:
            text += f"<br><em>{_linebreaksbr(decision.recommendations)}</em>"
        form = ""
    outcome = decision.outcome if decision else ""
    if not outcome:
        badge = f'<span class="badge badge-wait">{t["undecided"]}</span>'
    else:
        kind = {Outcome.TOTAL: "ok", Outcome.PARTIAL: "wait"}.get(outcome, "ko")
        badge = f'<span class="badge badge-{kind}">{t.get("outcome_" + outcome) or escape(outcome)}</span>'
    return ROW.format(
        d=d,
        href=f"{ctx.detail[0]}{d}{ctx.detail[1]}",
        name=name,
        excluded=f"<br><small>{t['not_deciding']} {len(row.excluded)}</small>" if row.excluded else "",
        cells=cells,
        text=text,
        outcome=badge,
        form=form,
    )


@register.simple_tag(takes_context=True)
def grid_rows(context, table, editable: bool) -> str:
    """Every row of one table of selectors.grid_page."""
    session_pk = context["session"].pk
    labels = [(key, str(context.get(f"t_{key}", ""))) for key in LABELS + ROW_LABELS]
    labels += [(f"outcome_{outcome.value}", str(outcome.label)) for outcome in Outcome]
    ctx = RowContext(
        labels=tuple(labels),
        editable=bool(editable),
        detail=tuple(reverse("juries:dossier_detail", args=[session_pk, SENTINEL]).split(str(SENTINEL))),
        save=tuple(reverse("juries:grid_row_save", args=[session_pk, SENTINEL]).split(str(SENTINEL))),
    )
    html = "".join([row_html(row, ctx) for row in table.rows])
    if TOKEN in html:
        # One masked token for every row form of the page.
        html = html.replace(TOKEN, escape(str(context.get("csrf_token", ""))))
    return mark_safe(html)  # noqa: S308 (every value is escaped above)
