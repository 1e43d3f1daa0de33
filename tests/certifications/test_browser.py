"""A branch administrator creates a draft from a published version, adds a block, publishes,
and sees the diff."""

import pytest

from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settle(page):
    # Let each page finish loading (favicon included) before the next navigation aborts it.
    page.wait_for_load_state("load")
    page.wait_for_load_state("networkidle")


def test_new_version_add_block_publish_and_diff(page, branch_admin, branch):
    from certifications.models import ReferentialState
    from tests.factories.certifications import CertificationFactory, published_version

    cert = CertificationFactory(code="cqp-navigateur", title="CQP Serveur navigateur", branches=[branch])
    published_version(cert, blocks=2)

    login(page, branch_admin.email)
    settle(page)
    page.goto(f"{page.base_url}/branche/")
    settle(page)
    page.get_by_role("link", name="CQP Serveur navigateur").click()
    settle(page)
    page.get_by_role("button", name="Nouvelle version à partir de la version publiée").click()
    settle(page)
    page.get_by_role("link", name="Ajouter un bloc").click()
    settle(page)

    page.get_by_label("Code").fill("BC03")
    page.get_by_label("Intitulé").fill("Encaisser les clients")
    page.locator("#id_competencies-0-text").fill("Établir l'addition")
    page.locator("#id_competencies-1-text").fill("Encaisser selon le moyen de paiement")
    page.locator("#id_modalities-0-kind").select_option("practical_situation")
    page.locator("#id_criteria-0-text").fill("L'encaissement est juste")
    page.get_by_role("button", name="Enregistrer le bloc").click()
    settle(page)

    page.get_by_role("heading", name="BC03 — Encaisser les clients").wait_for()
    page.get_by_role("button", name="Publier cette version").click()
    settle(page)
    page.get_by_text("La version 2 est publiée.").wait_for()

    page.get_by_role("link", name="Voir les modifications").click()
    settle(page)
    page.get_by_role("heading", name="Modifications de la version 1 à la version 2").wait_for()
    row = page.get_by_role("row").filter(has_text="BC03")
    assert "Ajouté" in row.inner_text()
    assert "Encaisser selon le moyen de paiement" in row.inner_text()
    assert cert.versions.get(number=2).state == ReferentialState.PUBLISHED
