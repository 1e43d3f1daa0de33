"""REST API: lines filtered by the policy, creation, transitions as explicit actions."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from financing.models import FundingLine, FundingState, Scheme
from tests.factories.financing import FunderFactory, FundingLineFactory
from tests.financing.conftest import START

pytestmark = pytest.mark.django_db

URL = "/api/v1/funding-lines/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def request_line(path, opco_funder):
    return FundingLineFactory(path=path, funder=opco_funder, state=FundingState.SUBMITTED)


def test_the_list_follows_the_policy_scope(funder_officer, request_line, path, candidate_user, other_candidate_user):
    FundingLineFactory(path=path, funder=FunderFactory(), state=FundingState.SUBMITTED)
    assert [row["id"] for row in api(funder_officer).get(URL).json()["results"]] == [request_line.pk]
    assert api(candidate_user).get(URL).json()["count"] == 2
    assert api(other_candidate_user).get(URL).json()["count"] == 0
    assert api(other_candidate_user).get(f"{URL}{request_line.pk}/").status_code == 404


def test_create_then_submit(candidate_user, path, opco_funder):
    client = api(candidate_user)
    response = client.post(
        URL,
        {
            "path": path.pk,
            "scheme": Scheme.PROFESSIONALISATION,
            "funder": opco_funder.pk,
            "start_date": START.isoformat(),
            "hours": 10,
            "hourly_rate": "30.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["amount_requested"] == "300.00"
    line_id = response.json()["id"]
    response = client.post(f"{URL}{line_id}/transitions/submit/")
    assert response.status_code == 200
    assert response.json()["state"] == FundingState.SUBMITTED


def test_an_ineligible_line_is_a_400_naming_the_field(candidate_user, path, opco_funder):
    response = api(candidate_user).post(
        URL,
        {
            "path": path.pk,
            "scheme": Scheme.CPF,
            "funder": opco_funder.pk,
            "start_date": START.isoformat(),
            "fixed_amount": "10",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "funder_not_allowed"
    assert "funder" in response.json()["fields"]


def test_the_state_is_never_writable(candidate_user, request_line):
    client = api(candidate_user)
    assert client.patch(f"{URL}{request_line.pk}/", {"state": "paid"}, format="json").status_code == 405
    assert client.put(f"{URL}{request_line.pk}/", {"state": "paid"}, format="json").status_code == 405
    request_line.refresh_from_db()
    assert request_line.state == FundingState.SUBMITTED


def test_transitions_approve_refuse_and_errors(funder_officer, candidate_user, request_line):
    url = f"{URL}{request_line.pk}/transitions/"
    assert api(candidate_user).post(url + "approve/").status_code == 403
    response = api(funder_officer).post(url + "approve/", {"amount": "9999"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"amount_approved": [response.json()["message"]]}
    response = api(funder_officer).post(url + "approve/", {"amount": "2000", "note": "Plafond"}, format="json")
    assert response.status_code == 200
    assert response.json()["amount_approved"] == "2000.00"
    assert api(funder_officer).post(url + "approve/").status_code == 409
    assert api(funder_officer).post(url + "nonsense/").status_code == 404
    response = api(funder_officer).post(url + "invoice/", {"amount": "1500", "invoice_reference": "F-1"}, format="json")
    assert response.json()["state"] == FundingState.INVOICED
    response = api(funder_officer).post(url + "pay/", {"amount": "1500"}, format="json")
    assert response.json()["state"] == FundingState.PAID
    line = FundingLine.objects.get(pk=request_line.pk)
    assert line.amount_paid == Decimal("1500.00")


def test_another_funders_officer_gets_a_404(request_line):
    from cqp_portal.accounts.models import Role
    from tests.factories.accounts import with_role

    officer = with_role(Role.FUNDER_OFFICER, funder=FunderFactory())
    assert api(officer).post(f"{URL}{request_line.pk}/transitions/refuse/", {"reason": "x"}).status_code == 404
