"""The cells of the deliberation grid, rendered in Python: a 200-dossier × 6-block grid has
1,200 cells, and the same markup through template nodes cost most of the page's time
(bench/RESULTS.md). The HTML is the one templates/juries/grid.html used to produce."""

from django import template
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()
PROPOSED_CLASS = mark_safe(' class="proposed"')


def _badge(kind: str, text: str) -> str:
    return format_html('<span class="badge badge-{}">{}</span>', kind, text)


LABELS = (
    "evaluators", "acquired", "not_acquired", "divergent", "not_presented", "held", "to_decide", "validated",
    "not_validated", "reasons",
)  # fmt: skip


@register.simple_tag(takes_context=True)
def grid_cell(context, cell, row, editable: bool) -> str:
    # The labels are translated once by the template ({% translate "…" as t_… %}), where the
    # catalog of templates/juries has them, not once per cell.
    labels = context.render_context.get("jury_grid_labels")
    if labels is None:
        labels = context.render_context["jury_grid_labels"] = {key: context[f"t_{key}"] for key in LABELS}
    parts = []
    if cell.evaluator_outcome:
        outcome = labels["acquired"] if cell.evaluator_outcome == "acquired" else labels["not_acquired"]
        parts.append(format_html("<small>{} {}</small><br>", labels["evaluators"], outcome))
    if cell.divergent:
        parts.append(format_html('<span class="badge badge-wait">{}</span><br>', labels["divergent"]))
    decision = cell.block_decision
    if not decision:
        parts.append(_badge("neutral", labels["not_presented"]))
    elif decision.held:
        parts.append(_badge("ok", labels["held"]))
    elif editable and row.decision.state == "proposed":
        dossier, block = row.dossier.pk, cell.block.pk
        name = row.dossier.path.candidate.display_name
        proposed = cell.proposed
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (value, " selected" if proposed is choice else "", text)
                for value, choice, text in (
                    ("", None, labels["to_decide"]),
                    ("1", True, labels["validated"]),
                    ("0", False, labels["not_validated"]),
                )
            ),
        )
        parts.append(
            format_html(
                '<label class="visually-hidden" for="b-{d}-{b}">{code} — {name}</label>'
                '<select id="b-{d}-{b}" name="block_{b}" form="row-form-{d}"{cls}>{options}</select>'
                '<label class="visually-hidden" for="r-{d}-{b}">{reasons} {code}</label>'
                '<input id="r-{d}-{b}" name="reason_{b}" form="row-form-{d}" value="{value}"'
                ' placeholder="{reasons}" size="12">',
                d=dossier,
                b=block,
                code=cell.block.code,
                name=name,
                cls=PROPOSED_CLASS if decision.validated is None else "",
                options=options,
                reasons=labels["reasons"],
                value=decision.reasons,
            )
        )
    elif decision.validated:
        parts.append(_badge("ok", labels["validated"]))
    elif decision.validated is False:
        parts.append(_badge("ko", labels["not_validated"]))
    else:
        parts.append(_badge("wait", labels["to_decide"]))
    return mark_safe("".join(conditional_escape(p) for p in parts))  # noqa: S308 (every part is escaped above)
