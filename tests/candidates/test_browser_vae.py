"""In the browser: a VAE candidate tries to send an empty admissibility request (told what is
missing, section by section), describes an experience, adds a document and sends it; the branch
administrator then sees the request on the branch's list with its deadline."""

import datetime

import pytest
from django.utils import timezone

from candidates.models import AccessRoute, Path, PathState
from tests.conftest import ARTIFACTS, login
from tests.factories.candidates import MINIMAL_PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settle(page):
    page.wait_for_load_state("networkidle")


def assert_accessible(page):
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    severe = [(v["id"], v["impact"]) for v in violations if v["impact"] in ("serious", "critical")]
    assert not severe, severe


def test_vae_candidate_builds_and_sends_the_request_branch_sees_it(
    page, make_path, candidate_user, branch_admin, version, tmp_path
):
    path = make_path(PathState.REGISTERED, access_route=AccessRoute.VAE)
    login(page, candidate_user.email)
    page.wait_for_url("**/parcours/")
    settle(page)
    page.get_by_role("link", name="Préparer et envoyer ma demande de recevabilité").click()
    settle(page)
    assert page.get_by_role("heading", name="Mon dossier de recevabilité VAE", level=1).is_visible()

    # Sent empty: refused, each missing piece named on its own section.
    page.get_by_label("Je certifie l'exactitude des informations données sur mon expérience.").check()
    page.get_by_role("button", name="Envoyer ma demande de recevabilité").click()
    settle(page)
    assert "Décrivez au moins une expérience" in page.locator("#experience_records_error").inner_text()
    assert "Ajoutez au moins une pièce justificative" in page.locator("#evidence_error").inner_text()
    page.screenshot(path=str(ARTIFACTS / "vae-request-refused.png"), full_page=True)
    assert_accessible(page)

    page.get_by_label("Activité ou emploi occupé").fill("Serveur en salle, brasserie de 80 couverts")
    page.get_by_label("Statut").select_option("employee")
    page.get_by_label("Employeur ou structure").fill("Brasserie du Port")
    page.get_by_label("Début de l'expérience").fill("2021-03-01")
    page.get_by_label("Fin de l'expérience").fill("2024-02-29")
    page.get_by_label("Durée (heures)").fill("4800")
    first = version.blocks.order_by("order").first()
    page.get_by_label(f"{first.code} {first.title}").check()
    page.get_by_label("Tâches réalisées et compétences mobilisées").fill("Accueil, service, encaissement.")
    page.get_by_role("button", name="Ajouter l'expérience").click()
    settle(page)
    assert "L'expérience est ajoutée" in page.locator(".messages").inner_text()

    document = tmp_path / "certificat-de-travail.pdf"
    document.write_bytes(MINIMAL_PDF)
    page.get_by_label("Document (PDF, JPEG ou PNG)").set_input_files(str(document))
    page.get_by_label("Type de document").select_option("attestation")
    page.get_by_role("button", name="Ajouter le document").click()
    settle(page)
    page.get_by_label("Je certifie l'exactitude des informations données sur mon expérience.").check()
    page.get_by_role("button", name="Envoyer ma demande de recevabilité").click()
    settle(page)
    assert "Votre demande de recevabilité est envoyée" in page.locator(".messages").inner_text()
    page.screenshot(path=str(ARTIFACTS / "vae-request-sent.png"), full_page=True)
    assert Path.objects.get(pk=path.pk).state == PathState.ADMISSIBILITY
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")
    settle(page)

    # The request is 50 days old: the branch sees it flagged as nearing.
    Path.objects.filter(pk=path.pk).update(
        admissibility_requested_on=timezone.localdate() - datetime.timedelta(days=50)
    )
    login(page, branch_admin.email)
    settle(page)
    page.get_by_role("link", name="Demandes de recevabilité VAE").click()
    settle(page)
    row = page.locator("tbody tr").first
    assert path.candidate.display_name in row.inner_text()
    assert "Échéance proche" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "vae-branch-requests.png"), full_page=True)
    assert_accessible(page)


def test_evaluator_is_told_why_an_acquired_block_needs_a_justification(page, make_path, evaluator, version):
    from candidates.models import BlockAssessment, BlockPlan

    path = make_path(PathState.IN_EVALUATION, plan=BlockPlan.TO_EVALUATE)
    block = version.blocks.order_by("order").first()
    login(page, evaluator.email)
    settle(page)
    page.goto(f"{page.base_url}/dossiers/{path.pk}/blocs/{block.pk}/evaluation/")
    settle(page)
    assert "expliquez pourquoi dans le commentaire" in page.locator("main").inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == f"Évaluation de {block.code} {block.title}"
    page.get_by_label(block.criteria.first().text).check()
    page.get_by_label("Acquis", exact=True).check()
    page.get_by_role("button", name="Enregistrer l'évaluation").click()
    settle(page)
    error = page.locator("#id_comment_error").inner_text()
    assert "1 critère n'est pas satisfait" in error
    page.screenshot(path=str(ARTIFACTS / "assessment-justification-required.png"), full_page=True)
    assert_accessible(page)
    assert not BlockAssessment.objects.exists()
