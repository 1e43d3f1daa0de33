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


def test_publish_screen_asks_for_the_correspondence_of_changed_blocks(page, branch_admin, branch):
    """v2 rewords BC02 and drops BC03: the administrator must declare both before publishing."""
    from pathlib import Path

    from certifications import services
    from certifications.models import BlockVersionMapping, ReferentialState
    from tests.factories.certifications import CertificationFactory, published_version

    cert = CertificationFactory(code="cqp-correspondance", title="CQP Correspondance navigateur", branches=[branch])
    v1 = published_version(cert, blocks=3)
    draft = services.version_new_from_published(certification=cert, by=branch_admin)
    services.block_save(
        version=draft,
        by=branch_admin,
        block=draft.blocks.get(code="BC02"),
        code="BC02",
        title="Accueillir et conseiller",
    )
    services.block_remove(block=draft.blocks.get(code="BC03"), by=branch_admin)
    shots = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
    shots.mkdir(parents=True, exist_ok=True)

    login(page, branch_admin.email)
    settle(page)
    page.goto(f"{page.base_url}/branche/versions/{draft.pk}/")
    settle(page)
    page.get_by_role("link", name="Déclarer les correspondances et publier").click()
    settle(page)
    page.get_by_role("heading", name="Publier la version 2").wait_for()
    page.get_by_role("button", name="Publier la version 2").click()
    settle(page)
    page.get_by_text("Déclarez la correspondance du bloc BC03").first.wait_for()
    # The refused form answers 400 on purpose (Chromium logs it as a console error).
    page.problems[:] = [p for p in page.problems if "status of 400" not in p]
    page.screenshot(path=str(shots / "version-publish-errors.png"), full_page=True)

    bc02 = page.get_by_role("group", name="BC02")
    bc02.get_by_label("BC02 — Accueillir et conseiller").check()
    page.get_by_role("group", name="BC03").get_by_label("Aucune correspondance", exact=False).check()
    page.screenshot(path=str(shots / "version-publish-declared.png"), full_page=True)
    page.get_by_role("button", name="Publier la version 2").click()
    settle(page)
    page.get_by_text("La version 2 est publiée.").wait_for()
    assert cert.versions.get(number=2).state == ReferentialState.PUBLISHED
    old = {b.code: b for b in v1.blocks.all()}
    assert BlockVersionMapping.objects.get(old_block=old["BC03"]).new_block is None

    page.get_by_role("link", name="Voir les modifications").click()
    settle(page)
    table = page.get_by_role("table", name="Correspondance des blocs de la version 1 dans la version 2")
    assert "Aucune correspondance" in table.get_by_role("row").filter(has_text="BC03").inner_text()
    page.screenshot(path=str(shots / "version-diff-correspondence.png"), full_page=True)
