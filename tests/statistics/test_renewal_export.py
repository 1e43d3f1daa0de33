"""The renewal file's figures (issue 20, point 3): certified per year and access route, success
per block, as CSV and XLSX read back, on the statistics dataset plus an older session."""

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from candidates.models import AccessRoute, PathState
from juries.models import Outcome
from tests.factories.candidates import PathFactory
from tests.factories.certifications import RegistrationFactory
from tests.factories.juries import JurySessionFactory
from tests.statistics.conftest import final_decision

pytestmark = pytest.mark.django_db
URL = reverse("statistics:renewal_export")


@pytest.fixture
def renewal_dataset(dataset, version, certification):
    """``dataset`` (this year: 2 full awards, 1 VAE and 1 continuing; 1 partial, continuing;
    blocks BC01 3/4, BC02 2/4, BC03 1/3) plus a 2024 session (award date 2024, sitting in
    December 2023): one full award through apprenticeship, every block validated."""
    RegistrationFactory(certification=certification, number="RNCP37001")
    session = JurySessionFactory(
        certifications=[certification], date=datetime.date(2023, 12, 18), award_date=datetime.date(2024, 1, 5)
    )
    path = PathFactory(version=version, state=PathState.AWARDED, access_route=AccessRoute.APPRENTICESHIP)
    final_decision(path, session, Outcome.TOTAL, {"BC01": True, "BC02": True, "BC03": True})
    return dataset


def fetch(user, **params):
    client = Client()
    client.force_login(user)
    return client.get(URL, params)


def test_xlsx_numbers(branch_admin, renewal_dataset, certification):
    response = fetch(branch_admin, format="xlsx", certification=certification.pk)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content))
    awards = list(workbook["Certifiés par année"].values)
    assert awards[0][:7] == (
        "Certification",
        "Code",
        "Numéro d'enregistrement",
        "Année",
        "Voie d'accès",
        "Certifiés (certification complète)",
        "Validations partielles",
    )
    this_year = datetime.date.today().year
    rows = {(r[3], r[4]): (r[5], r[6]) for r in awards[1:]}
    assert rows == {
        (2024, "Contrat d'apprentissage"): (1, 0),
        (2024, "Toutes voies d'accès"): (1, 0),
        (this_year, "VAE"): (1, 0),
        (this_year, "Formation continue"): (1, 1),
        (this_year, "Toutes voies d'accès"): (2, 1),
    }
    assert {r[2] for r in awards[1:]} == {"RNCP37001"}
    blocks = list(workbook["Réussite par bloc"].values)
    assert blocks[0][4] == "Bloc" and blocks[0][9] == "Taux de réussite (%)"
    by_block = {(r[3], r[4]): (r[7], r[8], r[9]) for r in blocks[1:]}
    assert by_block == {
        (2024, "BC01"): (1, 1, 100.0),
        (2024, "BC02"): (1, 1, 100.0),
        (2024, "BC03"): (1, 1, 100.0),
        (this_year, "BC01"): (4, 3, 75.0),
        (this_year, "BC02"): (4, 2, 50.0),
        (this_year, "BC03"): (3, 1, 33.3),
    }


def test_csv_numbers(branch_admin, renewal_dataset):
    response = fetch(branch_admin, format="csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    awards, blocks = text.split("\r\n\r\n")
    award_rows = list(csv.reader(io.StringIO(awards), delimiter=";"))
    assert award_rows[0][5] == "Certifiés (certification complète)"
    # Only the branch's certification: the foreign noise is not exported.
    assert {r[0] for r in award_rows[1:]} == {"CQP Serveur en restauration"}
    assert ["2024", "Toutes voies d'accès", "1", "0"] in [r[3:] for r in award_rows[1:]]
    block_rows = list(csv.reader(io.StringIO(blocks), delimiter=";"))
    assert block_rows[0][9] == "Taux de réussite (%)"
    assert [str(datetime.date.today().year), "BC03", "3", "1", "33.3"] in [
        [r[3], r[4], r[7], r[8], r[9]] for r in block_rows[1:]
    ]


def test_another_branch_certification_is_a_404(other_branch_admin, renewal_dataset, certification):
    assert fetch(other_branch_admin, format="csv", certification=certification.pk).status_code == 404


def test_other_admin_gets_none_of_these_figures(other_branch_admin, renewal_dataset):
    text = fetch(other_branch_admin, format="csv").content.decode("utf-8-sig")
    assert "CQP Serveur en restauration" not in text


@pytest.mark.parametrize("persona", ["candidate_user", "evaluator", "funder_officer"])
def test_other_roles_are_refused(request, persona):
    assert fetch(request.getfixturevalue(persona), format="csv").status_code == 403


def test_unknown_format_is_a_404(branch_admin):
    assert fetch(branch_admin, format="pdf").status_code == 404


def test_the_statistics_page_links_to_the_export(branch_admin, renewal_dataset, certification):
    client = Client()
    client.force_login(branch_admin)
    html = client.get(reverse("statistics:dashboard"), {"certification": certification.pk}).content.decode()
    assert f"{URL}?format=xlsx&amp;certification={certification.pk}" in html
    assert "Chiffres du dossier de renouvellement, toutes années (XLSX)" in html
