"""Reports for branch administrators and staff: SQL aggregates, CSV / XLSX, SVG chart."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from financing import selectors
from financing.models import FundingState, Scheme
from tests.factories.financing import FunderFactory, FundingLineFactory
from tests.financing.conftest import make_path

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def lines(path, version, opco_funder, cdc, other_path):
    second = make_path(version)
    return [
        FundingLineFactory(
            path=path,
            funder=opco_funder,
            state=FundingState.APPROVED,
            amount_requested=D("3000"),
            amount_approved=D("2500"),
        ),
        FundingLineFactory(
            path=path,
            funder=cdc,
            scheme=Scheme.CPF,
            state=FundingState.PAID,
            amount_requested=D("1000"),
            amount_approved=D("1000"),
            amount_invoiced=D("1000"),
            amount_paid=D("1000"),
        ),
        FundingLineFactory(
            path=second,
            funder=opco_funder,
            state=FundingState.SUBMITTED,
            amount_requested=D("500"),
            start_date=datetime.date(2025, 9, 1),
        ),
        # Not counted: a draft never reached the funder; another branch's path is out of scope.
        FundingLineFactory(path=second, funder=opco_funder, state=FundingState.DRAFT, amount_requested=D("9999")),
        FundingLineFactory(
            path=other_path, funder=FunderFactory(), state=FundingState.SUBMITTED, amount_requested=D("7777")
        ),
    ]


def by_key(rows):
    return {row["key"]: row for row in rows}


def test_amounts_and_paths_by_scheme(branch_admin, lines):
    rows = by_key(selectors.report_rows(branch_admin, group_by="scheme"))
    assert set(rows) == {Scheme.PROFESSIONALISATION, Scheme.CPF}
    pro = rows[Scheme.PROFESSIONALISATION]
    assert (pro["requested"], pro["approved"], pro["paid"], pro["lines"], pro["paths"]) == (
        D("3500"),
        D("2500"),
        0,
        2,
        2,
    )
    cpf = rows[Scheme.CPF]
    assert (cpf["requested"], cpf["approved"], cpf["paid"], cpf["paths"]) == (D("1000"), D("1000"), D("1000"), 1)


def test_amounts_by_funder_branch_certification_and_year(branch_admin, lines, opco_funder, branch, certification):
    assert by_key(selectors.report_rows(branch_admin, group_by="funder"))[opco_funder.name]["requested"] == D("3500")
    assert list(by_key(selectors.report_rows(branch_admin, group_by="branch"))) == [branch.name]
    assert by_key(selectors.report_rows(branch_admin, group_by="certification"))[certification.title]["paths"] == 2
    years = by_key(selectors.report_rows(branch_admin, group_by="year"))
    assert years[2025]["requested"] == D("500") and years[2026]["requested"] == D("4000")
    only_2025 = selectors.report_rows(branch_admin, group_by="scheme", year=2025)
    assert [(r["key"], r["requested"]) for r in only_2025] == [(Scheme.PROFESSIONALISATION, D("500"))]


def test_another_branch_admin_sees_only_their_branch(other_branch_admin, lines):
    assert selectors.report_rows(other_branch_admin, group_by="scheme") == []


def test_staff_see_everything(staff_user, lines):
    total = sum(row["requested"] for row in selectors.report_rows(staff_user, group_by="scheme"))
    assert total == D("4500") + D("7777")


def test_the_page_has_the_table_and_an_svg_chart_with_its_data(branch_admin, lines):
    client = Client()
    client.force_login(branch_admin)
    response = client.get(reverse("financing:reports"), {"group_by": "scheme"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "<rect" in html and 'role="img"' in html
    assert response.context["chart"].table[-1][0] == 2026
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_csv_export(branch_admin, lines):
    client = Client()
    client.force_login(branch_admin)
    response = client.get(reverse("financing:reports"), {"group_by": "funder", "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows[0]) == 6
    data = {row[0]: row[1:] for row in rows[1:]}
    assert data["AKTO test"] == ["3500.00", "2500.00", "0.00", "2", "2"]
    assert data["Caisse des Dépôts test"][3] == "1"


def test_xlsx_export(branch_admin, lines):
    client = Client()
    client.force_login(branch_admin)
    response = client.get(reverse("financing:reports"), {"group_by": "scheme", "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert len(values) == 3
    amounts = {row[0]: row[1:] for row in values[1:]}
    cpf_label = next(key for key in amounts if "CPF" in key)
    assert [Decimal(str(v)) for v in amounts[cpf_label][:3]] == [D("1000"), D("1000"), D("1000")]


def test_reports_are_for_branch_admins_and_staff(candidate_user, funder_officer, staff_user):
    for user, status in ((candidate_user, 403), (funder_officer, 403), (staff_user, 200)):
        client = Client()
        client.force_login(user)
        assert client.get(reverse("financing:reports")).status_code == status
