"""The deliberation grid's cells are rendered in Python (juries/templatetags/jury_grid.py, a
performance fix of issue 11): same markup as the template had, everything escaped."""

from types import SimpleNamespace

from django.template import Context, Template

TEMPLATE = Template(
    '{% load i18n jury_grid %}{% translate "Evaluators:" as t_evaluators %}{% translate "acquired" as t_acquired %}'
    '{% translate "not acquired" as t_not_acquired %}{% translate "Divergent" as t_divergent %}'
    '{% translate "Not presented" as t_not_presented %}{% translate "Already held" as t_held %}'
    '{% translate "To decide" as t_to_decide %}{% translate "Validated" as t_validated %}'
    '{% translate "Not validated" as t_not_validated %}{% translate "Reasons" as t_reasons %}'
    "{% grid_cell cell row editable %}"
)


def _render(*, decision, editable=True, outcome="acquired", divergent=False, proposed=None):
    block = SimpleNamespace(pk=7, code="BC<01>")
    cell = SimpleNamespace(
        block=block, block_decision=decision, evaluator_outcome=outcome, divergent=divergent, proposed=proposed
    )
    row = SimpleNamespace(
        dossier=SimpleNamespace(pk=3, path=SimpleNamespace(candidate=SimpleNamespace(display_name="<b>Zoé</b>"))),
        decision=SimpleNamespace(state="proposed"),
    )
    return TEMPLATE.render(Context({"cell": cell, "row": row, "editable": editable}))


def test_editable_cell_has_labelled_select_and_escapes_everything():
    html = _render(decision=SimpleNamespace(held=False, validated=None, reasons='"x"'), proposed=True)
    assert '<label class="visually-hidden" for="b-3-7">BC&lt;01&gt; — &lt;b&gt;Zoé&lt;/b&gt;</label>' in html
    assert '<select id="b-3-7" name="block_7" form="row-form-3" class="proposed">' in html
    assert '<option value="1" selected>' in html and '<option value="" >' not in html
    assert 'value="&quot;x&quot;"' in html
    assert "<b>" not in html


def test_read_only_cells_show_a_text_badge():
    assert "badge-ok" in _render(decision=SimpleNamespace(held=True, validated=None, reasons=""))
    assert "badge-ko" in _render(decision=SimpleNamespace(held=False, validated=False, reasons=""), editable=False)
    assert "badge-neutral" in _render(decision=None)
    html = _render(decision=None, divergent=True, outcome="not_acquired")
    assert '<span class="badge badge-wait">' in html and "<br>" in html and "&lt;span" not in html
