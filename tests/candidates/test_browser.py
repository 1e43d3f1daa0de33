"""In the browser: the candidate sees their timeline; the evaluator records an assessment
with its criteria; the candidate then sees the block as assessed."""

import pytest

from candidates import services
from candidates.models import BlockPlan, PathState
from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settle(page):
    # Let the page finish its own requests (favicon...) before the next navigation aborts them.
    page.wait_for_load_state("networkidle")


def test_candidate_timeline_evaluator_assessment_candidate_sees_assessed(
    page, make_path, evaluator, version, candidate_user
):
    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    services.path_confirm_positioning(
        path=path, by=evaluator, plans={b.pk: BlockPlan.TO_EVALUATE for b in version.blocks.all()}
    )
    services.path_start_evaluation(path=path, by=evaluator)
    block = version.blocks.get(code="BC01")

    login(page, candidate_user.email)
    page.wait_for_url("**/parcours/")
    settle(page)
    assert page.get_by_role("heading", name="Mon parcours", level=1).is_visible()
    timeline = page.locator(".timeline")
    assert "passage à « Positionnement »" in timeline.inner_text()
    assert "passage à « En évaluation »" in timeline.inner_text()
    assert "À évaluer" in page.locator("tr[data-block='BC01']").inner_text()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")
    settle(page)

    login(page, evaluator.email)
    page.wait_for_url("**/evaluations/")
    settle(page)
    assert "BC01 à évaluer" in page.locator("main").inner_text()
    page.get_by_role("link", name=path.candidate.display_name).click()
    settle(page)
    page.get_by_role("link", name="Évaluer BC01").click()
    settle(page)
    c1, c2 = block.criteria.all()
    page.get_by_label(c1.text).check()
    page.get_by_label(c2.text).check()
    page.get_by_label("Acquis", exact=True).check()
    page.get_by_label("Commentaire").fill("Service fluide, accueil soigné.")
    page.get_by_role("button", name="Enregistrer l'évaluation").click()
    settle(page)
    assert "L'évaluation de BC01 est enregistrée" in page.locator(".messages").inner_text()
    assert "Évalué" in page.locator("tr[data-block='BC01']").inner_text()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")
    settle(page)

    login(page, candidate_user.email)
    page.wait_for_url("**/parcours/")
    settle(page)
    row = page.locator("tr[data-block='BC01']").inner_text()
    assert "Évalué" in row and "Acquis" in row
    assert "Évaluation de bloc enregistrée" in page.locator(".timeline").inner_text()
    assessment = path.assessments.get()
    assert set(assessment.criterion_results.values_list("met", flat=True)) == {True}

    # On a phone: nothing wider than the screen (tables scroll inside their wrapper).
    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    settle(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
