"""HTML pages: the funder workspace, line detail and decisions, the path funding page."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from cqp_portal.accounts.models import Role
from financing.models import FundingLine, FundingState, Scheme
from tests.factories.accounts import with_role
from tests.factories.financing import FunderFactory, FundingLineFactory
from tests.financing.conftest import START

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_funder_line(path):
    return FundingLineFactory(path=path, funder=FunderFactory(name="OPCO 2i test"), state=FundingState.SUBMITTED)


@pytest.fixture
def request_line(path, opco_funder):
    return FundingLineFactory(path=path, funder=opco_funder, state=FundingState.SUBMITTED)


# --- funder workspace ------------------------------------------------------------------------


def test_the_workspace_lists_requests_addressed_to_the_officers_funder_only(
    funder_officer, request_line, other_funder_line, path, opco_funder
):
    approved = FundingLineFactory(path=path, funder=opco_funder, state=FundingState.APPROVED, amount_approved=10)
    draft = FundingLineFactory(path=path, funder=opco_funder, state=FundingState.DRAFT)
    response = client_for(funder_officer).get(reverse("financing:funder_workspace"))
    assert response.status_code == 200
    lines = response.context["lines"]
    assert [line.pk for line in lines] == [request_line.pk, approved.pk]  # waiting for a decision first
    assert other_funder_line not in lines and draft not in lines


def test_an_officer_without_requests_sees_an_empty_list(other_funder_line):
    officer = with_role(Role.FUNDER_OFFICER, funder=FunderFactory())
    response = client_for(officer).get(reverse("financing:funder_workspace"))
    assert list(response.context["lines"]) == []


def test_the_workspace_is_for_funder_officers(candidate_user):
    assert client_for(candidate_user).get(reverse("financing:funder_workspace")).status_code == 403


@pytest.mark.parametrize("count", [5, 50])
def test_the_workspace_query_count_does_not_grow_with_the_lines(
    funder_officer, opco_funder, path, count, django_assert_num_queries
):
    FundingLineFactory.create_batch(count, path=path, funder=opco_funder, state=FundingState.SUBMITTED)
    client = client_for(funder_officer)
    # session, user, roles (workspace decorator and the funder / branch / provider ids of the
    # policy scope: one query), the lines with path, candidate, certification and funder
    # joined, the officer's funders.
    with django_assert_num_queries(5):
        response = client.get(reverse("financing:funder_workspace"))
    assert len(response.context["lines"]) == count


# --- detail and decisions ------------------------------------------------------------------


def test_another_funders_line_is_a_404(funder_officer, other_funder_line):
    client = client_for(funder_officer)
    assert client.get(reverse("financing:line_detail", args=[other_funder_line.pk])).status_code == 404
    response = client.post(
        reverse("financing:line_transition", args=[other_funder_line.pk, "approve"]), {"approve-note": ""}
    )
    assert response.status_code == 404
    other_funder_line.refresh_from_db()
    assert other_funder_line.state == FundingState.SUBMITTED


def test_the_path_of_another_funder_is_a_404(funder_officer, other_funder_line, other_path):
    client = client_for(funder_officer)
    assert client.get(reverse("financing:path_funding", args=[other_funder_line.path_id])).status_code == 404


def test_the_officer_approves_a_lower_amount_with_a_note(funder_officer, request_line):
    client = client_for(funder_officer)
    detail = client.get(reverse("financing:line_detail", args=[request_line.pk]))
    assert [name for name, _form in detail.context["actions"]] == ["approve", "refuse"]
    url = reverse("financing:line_transition", args=[request_line.pk, "approve"])
    response = client.post(url, {"approve-amount_approved": "2000", "approve-note": ""})
    assert response.status_code == 400
    assert "needs a note" in response.content.decode() or "nécessite une note" in response.content.decode()
    response = client.post(url, {"approve-amount_approved": "2000", "approve-note": "Plafond de branche"})
    assert response.status_code == 302
    request_line.refresh_from_db()
    assert (request_line.state, request_line.amount_approved) == (FundingState.APPROVED, Decimal("2000.00"))


def test_the_officer_refuses_with_a_reason(funder_officer, request_line):
    client = client_for(funder_officer)
    url = reverse("financing:line_transition", args=[request_line.pk, "refuse"])
    assert client.post(url, {"refuse-reason": ""}).status_code == 400
    assert client.post(url, {"refuse-reason": "Dossier incomplet"}).status_code == 302
    request_line.refresh_from_db()
    assert request_line.state == FundingState.REFUSED


def test_a_candidate_may_see_but_not_decide(candidate_user, request_line):
    client = client_for(candidate_user)
    assert client.get(reverse("financing:line_detail", args=[request_line.pk])).status_code == 200
    url = reverse("financing:line_transition", args=[request_line.pk, "approve"])
    assert client.post(url, {}).status_code == 403
    request_line.refresh_from_db()
    assert request_line.state == FundingState.SUBMITTED


def test_an_unknown_transition_is_a_404(funder_officer, request_line):
    url = reverse("financing:line_transition", args=[request_line.pk, "explode"])
    assert client_for(funder_officer).post(url, {}).status_code == 404


# --- path funding page ----------------------------------------------------------------------


def test_the_path_page_shows_cost_against_funding(candidate_user, path, opco_funder):
    FundingLineFactory(
        path=path,
        funder=opco_funder,
        state=FundingState.APPROVED,
        amount_requested=Decimal("3000"),
        amount_approved=Decimal("2000"),
    )
    response = client_for(candidate_user).get(reverse("financing:path_funding", args=[path.pk]))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary.cost == Decimal("3150.00")  # 3 blocks × 35 h × 30 €
    assert (summary.requested, summary.approved, summary.gap) == (Decimal("3000"), Decimal("2000"), Decimal("1150"))
    assert response.context["form"] is not None


def test_over_funding_is_flagged(candidate_user, path, opco_funder, cdc):
    for funder in (opco_funder, cdc):
        FundingLineFactory(
            path=path,
            funder=funder,
            state=FundingState.PAID,
            amount_requested=2000,
            amount_approved=2000,
            amount_invoiced=2000,
            amount_paid=2000,
        )
    summary = client_for(candidate_user).get(reverse("financing:path_funding", args=[path.pk])).context["summary"]
    assert summary.over_funding == Decimal("850.00")
    assert summary.gap == 0


def test_blocks_without_approved_funding_are_flagged(candidate_user, path, opco_funder):
    line = FundingLineFactory(path=path, funder=opco_funder, state=FundingState.APPROVED, amount_approved=100)
    first = path.version.blocks.order_by("order").first()
    line.blocks.set([first])
    summary = client_for(candidate_user).get(reverse("financing:path_funding", args=[path.pk])).context["summary"]
    assert [block.uncovered for block in summary.blocks] == [False, True, True]
    assert summary.blocks[0].funded_by == [opco_funder.name]


def test_adding_an_ineligible_line_shows_the_reason_on_the_scheme_field(candidate_user, path, cdc):
    path.training_provider = None
    path.save()
    response = client_for(candidate_user).post(
        reverse("financing:path_funding", args=[path.pk]),
        {
            "scheme": Scheme.CPF,
            "funder": str(cdc.pk),
            "start_date": START.isoformat(),
            "fixed_amount": "900",
            "cpf_file_number": "1234567890123",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "habilitated" in errors["scheme"][0] or "habilité" in errors["scheme"][0]
    assert not FundingLine.objects.exists()


def test_adding_and_submitting_a_line(candidate_user, path, opco_funder):
    client = client_for(candidate_user)
    blocks = list(path.version.blocks.values_list("pk", flat=True))
    response = client.post(
        reverse("financing:path_funding", args=[path.pk]),
        {
            "scheme": Scheme.PROFESSIONALISATION,
            "funder": str(opco_funder.pk),
            "start_date": START.isoformat(),
            "hours": "105",
            "hourly_rate": "30",
            "blocks": [str(pk) for pk in blocks],
        },
    )
    assert response.status_code == 302
    line = FundingLine.objects.get()
    assert (line.amount_requested, line.blocks.count(), line.state) == (Decimal("3150.00"), 3, FundingState.DRAFT)
    response = client.post(reverse("financing:line_transition", args=[line.pk, "submit"]), {"next": "/x/"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.state == FundingState.SUBMITTED


def test_the_employer_choice_creates_the_employer_funder(candidate_user, path):
    response = client_for(candidate_user).post(
        reverse("financing:path_funding", args=[path.pk]),
        {"scheme": Scheme.PLAN, "funder": "employer", "start_date": START.isoformat(), "fixed_amount": "500"},
    )
    assert response.status_code == 302
    assert FundingLine.objects.get().funder.name == "Hôtel du Lac"


def test_funder_officers_read_the_path_page_without_the_form(funder_officer, request_line):
    response = client_for(funder_officer).get(reverse("financing:path_funding", args=[request_line.path_id]))
    assert response.status_code == 200
    assert response.context["form"] is None
    response = client_for(funder_officer).post(reverse("financing:path_funding", args=[request_line.path_id]), {})
    assert FundingLine.objects.count() == 1


def test_outsiders_get_a_404_on_the_path_page(other_candidate_user, other_branch_admin, path):
    for outsider in (other_candidate_user, other_branch_admin):
        assert client_for(outsider).get(reverse("financing:path_funding", args=[path.pk])).status_code == 404


def test_provider_staff_and_branch_admins_use_the_path_page(provider_staff, branch_admin, path):
    for insider in (provider_staff, branch_admin):
        response = client_for(insider).get(reverse("financing:path_funding", args=[path.pk]))
        assert response.status_code == 200
        assert response.context["form"] is not None
