"""The grid page reads plain values (juries.selectors.grid_page) and renders its rows in
Python with a per-process cache keyed by the rows' own values (juries/templatetags/jury_grid.py),
for issue 11's ≤ 120 ms at 200 dossiers × 6 blocks. It must show what deliberation_grid
(which the minutes and the close checks use) computes, and never a stale row."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from candidates.models import AssessmentOutcome, BlockAssessment, BlockPlan
from juries import selectors, services
from juries.models import LinkKind, MemberLink
from tests.factories.juries import ready_path
from tests.juries.conftest import current_decision, decide

pytestmark = pytest.mark.django_db


def _assess(path, code, outcome, evaluator, **kwargs):
    block = path.version.blocks.get(code=code)
    return BlockAssessment.objects.create(
        path=path,
        block=block,
        evaluator=evaluator,
        modality=block.modalities.first(),
        assessed_on=datetime.date.today() - datetime.timedelta(days=5),
        outcome=outcome,
        **kwargs,
    )


@pytest.fixture
def varied(session, jury, version, path, evaluator, other_evaluator, branch_admin, jury_member):
    """A deliberating session whose rows show every kind of cell:

    - ``path``: BC01 acquired, BC02 not acquired; a member declared a link with the candidate;
    - ``divergent``: BC01 assessed acquired and not acquired (divergent), BC02 corrected from
      not acquired to acquired (only the correction counts); a member assessed BC03;
    - ``held``: BC01 already held.
    """
    divergent = ready_path(version, evaluator=evaluator, outcomes={"BC01": "acquired"})
    _assess(divergent, "BC01", AssessmentOutcome.NOT_ACQUIRED, other_evaluator)
    corrected = _assess(divergent, "BC02", AssessmentOutcome.NOT_ACQUIRED, evaluator)
    _assess(divergent, "BC02", AssessmentOutcome.ACQUIRED, evaluator, supersedes=corrected, correction_reason="typo")
    _assess(divergent, "BC03", AssessmentOutcome.ACQUIRED, jury[2].user)
    held = ready_path(version, evaluator=evaluator, plans={"BC01": BlockPlan.HELD}, outcomes={"BC02": "acquired"})
    for each in (path, divergent, held):
        services.dossier_add(session=session, path=each, by=branch_admin)
    MemberLink.objects.create(member=jury[1], candidate=path.candidate, kind=LinkKind.RELATIVE)
    services.jury_session_convene(session=session, by=branch_admin)
    services.jury_session_start_deliberation(session=session, by=jury_member)
    session.refresh_from_db()
    decide(
        current_decision(path),
        jury_member,
        {"BC01": True, "BC02": False},
        reasons="Motifs <b>1</b>\nligne 2",
        recommendations="Reprendre BC02\r\nen entreprise",
    )
    return {"session": session, "path": path, "divergent": divergent, "held": held}


def _old_rows(session):
    rows = {}
    for table in selectors.deliberation_grid(session):
        for row in table.rows:
            decision = row.decision
            rows[row.dossier.pk] = (
                table.version.pk,
                row.dossier.path.candidate.display_name,
                (decision.pk, decision.state, decision.row_version, decision.reasons, decision.recommendations)
                if decision
                else None,
                [
                    (
                        cell.block.pk,
                        cell.block.code,
                        (
                            cell.block_decision.held,
                            cell.block_decision.validated,
                            cell.block_decision.reasons,
                            cell.block_decision.expired_on,
                        )
                        if cell.block_decision
                        else None,
                        cell.evaluator_outcome,
                        cell.divergent,
                        cell.proposed,
                    )
                    for cell in row.cells
                ],
                row.excluded,
            )
    return rows


def _new_rows(session):
    rows = {}
    for table in selectors.grid_page(session):
        for row in table.rows:
            decision = row.decision
            rows[row.dossier_id] = (
                table.version_id,
                row.name,
                (decision.pk, decision.state, decision.row_version, decision.reasons, decision.recommendations)
                if decision
                else None,
                [
                    (
                        cell.block.pk,
                        cell.block.code,
                        tuple(cell.block_decision) if cell.block_decision else None,
                        cell.evaluator_outcome,
                        cell.divergent,
                        cell.proposed,
                    )
                    for cell in row.cells
                ],
                dict(row.excluded),
            )
    return rows


def test_the_page_shows_what_deliberation_grid_computes(varied, jury):
    session = varied["session"]
    with translation.override("en"):
        new, old = _new_rows(session), _old_rows(session)
    assert list(new) == list(old)  # same rows, same order
    assert new == old
    by_path = {d.path_id: d.pk for d in session.dossiers.all()}
    cells = {cell[1]: cell for cell in new[by_path[varied["divergent"].pk]][3]}
    assert cells["BC01"][4] is True and cells["BC01"][5] is None  # divergent: left to the jury
    assert cells["BC02"][3] == AssessmentOutcome.ACQUIRED and cells["BC02"][4] is False  # the correction
    assert new[by_path[varied["divergent"].pk]][4] == {jury[2].pk: "assessor of the candidate"}
    assert new[by_path[varied["path"].pk]][4] == {jury[1].pk: "declared link: relative"}
    held = {cell[1]: cell for cell in new[by_path[varied["held"].pk]][3]}
    assert held["BC01"][2][0] is True


def test_rows_show_the_badges_and_controls(client, varied, jury_member, branch_admin):
    session = varied["session"]
    url = reverse("juries:grid", args=[session.pk])
    client.force_login(jury_member)
    page = client.get(url).content.decode()
    rows = {d.path_id: d.pk for d in session.dossiers.all()}
    divergent_row = page.split(f'<tr id="row-{rows[varied["divergent"].pk]}">')[1].split("</tr>")[0]
    assert divergent_row.count('<span class="badge badge-wait">Divergence</span>') == 1
    assert "<small>Ne décident pas : 1</small>" in divergent_row
    held_row = page.split(f'<tr id="row-{rows[varied["held"].pk]}">')[1].split("</tr>")[0]
    assert '<span class="badge badge-ok">Déjà acquis</span>' in held_row
    assert held_row.count("<select ") == 2  # BC02 and BC03 only
    decided_row = page.split(f'<tr id="row-{rows[varied["path"].pk]}">')[1].split("</tr>")[0]
    assert "Motifs &lt;b&gt;1&lt;/b&gt;\nligne 2</textarea>" in decided_row  # escaped, not interpreted
    assert '<option value="1" selected>Validé</option>' in decided_row
    assert decided_row.count('<label class="visually-hidden"') == 6  # a select and a reason per block
    # Read-only for the branch administrator: text, not controls; line breaks kept, still escaped.
    client.force_login(branch_admin)
    page = client.get(url).content.decode()
    decided_row = page.split(f'<tr id="row-{rows[varied["path"].pk]}">')[1].split("</tr>")[0]
    assert "<select" not in decided_row and "<form" not in decided_row
    assert "Motifs &lt;b&gt;1&lt;/b&gt;<br>ligne 2<br><em>Reprendre BC02<br>en entreprise</em>" in decided_row


def test_one_csrf_token_outside_the_cache_and_the_row_form_saves(varied, jury_member):
    session, path = varied["session"], varied["path"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(jury_member)
    url = reverse("juries:grid", args=[session.pk])
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).content.decode()))
    assert len(tokens) == 1 and "csrf-token" not in tokens.pop()
    # A second client (another session, another token) gets its own token, not the cached one.
    other = Client(enforce_csrf_checks=True)
    other.force_login(jury_member)
    page = other.get(url).content.decode()
    (token,) = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    decision = current_decision(path)
    blocks = {bd.block.code: bd.block_id for bd in decision.block_decisions.select_related("block")}
    data = {
        "csrfmiddlewaretoken": token,
        "row_version": decision.row_version,
        f"block_{blocks['BC01']}": "1",
        f"block_{blocks['BC02']}": "1",
        f"block_{blocks['BC03']}": "0",
    }
    response = other.post(reverse("juries:grid_row_save", args=[session.pk, decision.pk]), data)
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.outcome == "total"
    assert client.post(reverse("juries:grid_row_save", args=[session.pk, decision.pk]), data).status_code == 403


def test_a_changed_row_is_never_served_from_the_cache(client, varied, jury, jury_member, evaluator):
    session, divergent = varied["session"], varied["divergent"]
    url = reverse("juries:grid", args=[session.pk])
    client.force_login(jury_member)
    row_id = f'<tr id="row-{session.dossiers.get(path=divergent).pk}">'

    def row():
        return client.get(url).content.decode().split(row_id)[1].split("</tr>")[0]

    assert "Ne décident pas : 1" in row() and "Ne décident pas : 2" not in row()
    # Neither the decision nor its version change: a new link, a renamed candidate, a new assessment.
    MemberLink.objects.create(member=jury[3], candidate=divergent.candidate, kind=LinkKind.EMPLOYER)
    divergent.candidate.first_names = "Rebaptisée"
    divergent.candidate.save(update_fields=["first_names"])
    _assess(divergent, "BC03", AssessmentOutcome.NOT_ACQUIRED, evaluator)
    html = row()
    assert "Ne décident pas : 2" in html and "Rebaptisée" in html
    assert html.count('<span class="badge badge-wait">Divergence</span>') == 2
    # A decision saved by another member.
    decision = current_decision(divergent)
    decide(decision, jury_member, {"BC01": False})
    html = row()
    bc01 = divergent.version.blocks.get(code="BC01").pk
    assert f'<select id="b-{decision.dossier_id}-{bc01}" name="block_{bc01}"' in html
    assert '<option value="0" selected>Non validé</option>' in html
    decision.refresh_from_db()
    assert f'name="row_version" value="{decision.row_version}"' in html
