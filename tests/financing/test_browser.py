"""A candidate's path gets a CPF line and an OPCO line; the OPCO officer approves; the
path's funding summary updates."""

import pytest

from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def cell(page, name: str) -> str:
    text = page.locator(f'[data-summary="{name}"]').inner_text()
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def add_line(page, *, scheme: str, funder: str, **fields):
    page.get_by_role("combobox", name="Dispositif de financement").select_option(label=scheme)
    page.get_by_role("combobox", name="Financeur").select_option(label=funder)
    page.get_by_label("Date de début").fill("2026-03-02")
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Ajouter la ligne de financement").click()
    page.get_by_text("La ligne de financement a été ajoutée en brouillon").wait_for()


def test_cpf_and_opco_lines_then_the_opco_approves(page, path, opco_funder, cdc, funder_officer, candidate_user):
    url = f"{page.base_url}/financement/parcours/{path.pk}/"
    login(page, candidate_user.email)
    page.wait_for_url("**/parcours/")
    page.goto(url)
    assert page.get_by_role("heading", name="Financement du parcours").is_visible()
    assert cell(page, "cost") == "3 150,00 €"

    add_line(
        page,
        scheme="CPF (compte personnel de formation)",
        funder="Caisse des Dépôts test (Caisse des Dépôts (CPF))",
        **{"Montant forfaitaire (€)": "1000", "Numéro de dossier CPF": "1234567890123"},
    )
    page.get_by_role("button", name="Transmettre la demande CPF (compte personnel de formation)").click()
    page.get_by_text("La demande de financement a été transmise au financeur.").wait_for()

    add_line(
        page,
        scheme="Contrat de professionnalisation",
        funder="AKTO test (OPCO)",
        **{"Heures": "70", "Taux horaire (€)": "30"},
    )
    page.get_by_role("button", name="Transmettre la demande Contrat de professionnalisation").click()
    page.get_by_text("La demande de financement a été transmise au financeur.").wait_for()
    assert cell(page, "requested") == "3 100,00 €"
    assert cell(page, "approved") == "0,00 €"
    assert "Reste à financer : 3 150,00 €" in cell(page, "balance")

    page.context.clear_cookies()
    login(page, funder_officer.email)
    page.wait_for_url("**/financeur/")
    rows = page.locator("tbody tr")
    assert rows.count() == 1  # the CPF request is addressed to the Caisse des Dépôts, not to AKTO
    assert "Transmise" in rows.first.inner_text()
    rows.first.get_by_role("link").click()
    page.get_by_role("button", name="Accorder").click()
    page.get_by_text("La demande de financement a été accordée.").wait_for()
    assert page.locator(".badge", has_text="Accordée").is_visible()

    page.context.clear_cookies()
    login(page, candidate_user.email)
    page.wait_for_url("**/parcours/")
    page.goto(url)
    assert cell(page, "approved") == "2 100,00 €"
    assert "Reste à financer : 1 050,00 €" in cell(page, "balance")
    assert page.locator("#lines-heading ~ .table-wrap .badge", has_text="Accordée").count() == 1
