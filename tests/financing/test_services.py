"""Funding lines: creation checks, every transition allowed and refused, amount checks."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from certifications.models import Registration
from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import Conflict, NotAllowed, RuleViolation
from financing import services
from financing.models import FundingLine, FundingState, Scheme
from tests.factories.certifications import published_version
from tests.factories.financing import FundingLineFactory
from tests.financing.conftest import START

pytestmark = pytest.mark.django_db

D = Decimal


def create(path, by, **kwargs):
    defaults = {"scheme": Scheme.PROFESSIONALISATION, "start_date": START, "hours": 100, "hourly_rate": D("30")}
    defaults.update(kwargs)
    return services.funding_line_create(path=path, by=by, **defaults)


@pytest.fixture
def line(path, candidate_user, opco_funder):
    return create(path, candidate_user, funder=opco_funder)


@pytest.fixture
def submitted(line, candidate_user):
    return services.funding_line_submit(line=line, by=candidate_user)


@pytest.fixture
def approved(submitted, funder_officer):
    return services.funding_line_approve(line=submitted, by=funder_officer)


@pytest.fixture
def invoiced(approved, funder_officer):
    return services.funding_line_invoice(line=approved, by=funder_officer, amount=D("3000"), invoice_reference="F1")


def trail(line):
    return list(AuditEntry.objects.for_object(line).values_list("action", "from_state", "to_state"))


# --- creation ----------------------------------------------------------------------------


def test_the_amount_requested_is_hours_times_the_hourly_rate(line):
    assert line.state == FundingState.DRAFT
    assert line.amount_requested == D("3000.00")
    assert trail(line) == [("funding.create", "", "draft")]


def test_a_fixed_amount_wins_over_hours(path, candidate_user, opco_funder):
    line = create(path, candidate_user, funder=opco_funder, fixed_amount=D("1234.5"))
    assert line.amount_requested == D("1234.50")


def test_an_amount_is_required(path, candidate_user, opco_funder):
    with pytest.raises(RuleViolation) as exc:
        create(path, candidate_user, funder=opco_funder, hours=None, hourly_rate=None)
    assert exc.value.field == "hours"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fixed_amount": D("-1")}, "fixed_amount"),
        ({"hourly_rate": D("-30")}, "hourly_rate"),
        ({"hours": -3}, "hours"),
    ],
)
def test_negative_amounts_are_refused_with_a_field_error(path, candidate_user, opco_funder, kwargs, field):
    with pytest.raises(RuleViolation) as exc:
        create(path, candidate_user, funder=opco_funder, **kwargs)
    assert exc.value.field == field
    assert "negative" in str(exc.value.message)
    assert not FundingLine.objects.exists()


def test_blocks_must_belong_to_the_paths_version(path, candidate_user, opco_funder):
    foreign = published_version(blocks=1).blocks.get()
    with pytest.raises(RuleViolation) as exc:
        create(path, candidate_user, funder=opco_funder, blocks=[foreign])
    assert exc.value.field == "blocks"
    line = create(path, candidate_user, funder=opco_funder, blocks=list(path.version.blocks.all()[:2]))
    assert line.blocks.count() == 2


def test_an_ineligible_scheme_is_refused_on_the_scheme_field(path, candidate_user, opco_funder):
    path.certification.pro_a_eligible = False
    path.certification.save()
    with pytest.raises(RuleViolation) as exc:
        create(path, candidate_user, scheme=Scheme.PRO_A, funder=opco_funder)
    assert exc.value.field == "scheme"
    assert "Pro-A list" in str(exc.value.message)


def test_a_funder_that_does_not_pay_the_scheme_is_refused_on_the_funder_field(path, candidate_user, opco_funder):
    with pytest.raises(RuleViolation) as exc:
        create(path, candidate_user, scheme=Scheme.CPF, funder=opco_funder, cpf_file_number="1234567890123")
    assert exc.value.field == "funder"


@pytest.mark.parametrize("number", ["123456789012", "12345678901234", "12345-7890123"])
def test_the_cpf_file_number_has_exactly_13_characters(path, candidate_user, cdc, number):
    with pytest.raises(RuleViolation) as exc:
        create(path, candidate_user, scheme=Scheme.CPF, funder=cdc, cpf_file_number=number)
    assert exc.value.field == "cpf_file_number"
    line = create(path, candidate_user, scheme=Scheme.CPF, funder=cdc, cpf_file_number="A234567890123")
    assert line.cpf_file_number == "A234567890123"


def test_only_the_candidate_and_the_path_managers_may_ask(
    path, opco_funder, other_candidate_user, funder_officer, provider_staff, branch_admin, other_branch_admin
):
    for outsider in (other_candidate_user, funder_officer, other_branch_admin):
        with pytest.raises(NotAllowed):
            create(path, outsider, funder=opco_funder)
    for insider in (provider_staff, branch_admin):
        assert create(path, insider, funder=opco_funder).created_by == insider


def test_employer_and_self_funders(path, candidate_user):
    employer = services.employer_funder(path.candidate)
    assert employer.name == "Hôtel du Lac"
    assert create(path, candidate_user, scheme=Scheme.PLAN, funder=employer).funder == employer
    assert services.self_funder() == services.self_funder()
    path.candidate.employer_name = ""
    with pytest.raises(RuleViolation):
        services.employer_funder(path.candidate)


# --- transitions --------------------------------------------------------------------------


def test_submit_sends_the_request_to_the_funder(submitted):
    assert submitted.state == FundingState.SUBMITTED
    assert submitted.submitted_at is not None
    assert trail(submitted)[-1] == ("funding.submit", "draft", "submitted")


def test_submitting_twice_is_a_conflict(submitted, candidate_user):
    with pytest.raises(Conflict):
        services.funding_line_submit(line=submitted, by=candidate_user)


def test_submit_checks_eligibility_again(path, candidate_user, cdc):
    line = create(path, candidate_user, scheme=Scheme.CPF, funder=cdc, cpf_file_number="1234567890123")
    Registration.objects.filter(certification=path.certification).update(listed_active=False)
    with pytest.raises(RuleViolation) as exc:
        services.funding_line_submit(line=line, by=candidate_user)
    assert exc.value.field == "scheme"
    line.refresh_from_db()
    assert line.state == FundingState.DRAFT


def test_a_cpf_request_needs_its_file_number_to_be_submitted(path, candidate_user, cdc):
    line = create(path, candidate_user, scheme=Scheme.CPF, funder=cdc)
    with pytest.raises(RuleViolation) as exc:
        services.funding_line_submit(line=line, by=candidate_user)
    assert exc.value.field == "cpf_file_number"


def test_only_the_asking_side_submits(line, funder_officer, other_candidate_user):
    for outsider in (funder_officer, other_candidate_user):
        with pytest.raises(NotAllowed):
            services.funding_line_submit(line=line, by=outsider)


def test_approve_the_full_amount(approved, funder_officer):
    assert approved.state == FundingState.APPROVED
    assert approved.amount_approved == D("3000.00")
    assert approved.decided_by == funder_officer
    assert trail(approved)[-1] == ("funding.approve", "submitted", "approved")


def test_approve_a_lower_amount_with_a_note(submitted, funder_officer):
    line = services.funding_line_approve(line=submitted, by=funder_officer, amount=D("2500"), note="Plafond OPCO")
    assert line.amount_approved == D("2500.00")
    assert line.decision_note == "Plafond OPCO"


@pytest.mark.parametrize(
    ("amount", "note", "code"),
    [
        (D("3000.01"), "", "approved_above_requested"),
        (D("-5"), "x", "negative_amount"),
        (D("2000"), "", "note_required"),
    ],
)
def test_approval_amount_checks(submitted, funder_officer, amount, note, code):
    with pytest.raises(RuleViolation) as exc:
        services.funding_line_approve(line=submitted, by=funder_officer, amount=amount, note=note)
    assert exc.value.code == code
    submitted.refresh_from_db()
    assert submitted.state == FundingState.SUBMITTED
    assert submitted.amount_approved is None


def test_only_the_addressed_funder_decides(submitted, candidate_user, branch_admin):
    from cqp_portal.accounts.models import Role
    from tests.factories.accounts import with_role
    from tests.factories.financing import FunderFactory

    other_officer = with_role(Role.FUNDER_OFFICER, funder=FunderFactory())
    for outsider in (candidate_user, branch_admin, other_officer):
        with pytest.raises(NotAllowed):
            services.funding_line_approve(line=submitted, by=outsider)
        with pytest.raises(NotAllowed):
            services.funding_line_refuse(line=submitted, by=outsider, reason="non")


def test_a_draft_cannot_be_approved(line, funder_officer):
    with pytest.raises(Conflict):
        services.funding_line_approve(line=line, by=funder_officer)


def test_approving_twice_at_once_succeeds_once(submitted, funder_officer):
    stale = FundingLine.objects.get(pk=submitted.pk)
    services.funding_line_approve(line=submitted, by=funder_officer)
    with pytest.raises(Conflict):
        services.funding_line_approve(line=stale, by=funder_officer)
    assert AuditEntry.objects.for_object(submitted).filter(action="funding.approve").count() == 1


def test_refuse_needs_a_reason(submitted, funder_officer):
    with pytest.raises(RuleViolation) as exc:
        services.funding_line_refuse(line=submitted, by=funder_officer, reason="  ")
    assert exc.value.field == "reason"
    line = services.funding_line_refuse(line=submitted, by=funder_officer, reason="Devis manquant")
    assert line.state == FundingState.REFUSED
    assert line.decision_note == "Devis manquant"
    assert trail(line)[-1] == ("funding.refuse", "submitted", "refused")


def test_a_refused_line_goes_nowhere(submitted, funder_officer, candidate_user):
    line = services.funding_line_refuse(line=submitted, by=funder_officer, reason="Non éligible")
    with pytest.raises(Conflict):
        services.funding_line_approve(line=line, by=funder_officer)
    with pytest.raises(Conflict):
        services.funding_line_invoice(line=line, by=funder_officer, amount=D("1"))
    with pytest.raises(Conflict):
        services.funding_line_cancel(line=line, by=candidate_user, reason="x")


def test_invoice_within_the_approved_amount(invoiced):
    assert invoiced.state == FundingState.INVOICED
    assert invoiced.amount_invoiced == D("3000.00")
    assert invoiced.invoiced_on is not None
    assert trail(invoiced)[-1] == ("funding.invoice", "approved", "invoiced")


def test_the_invoice_cannot_exceed_the_approved_amount(submitted, funder_officer):
    line = services.funding_line_approve(line=submitted, by=funder_officer, amount=D("2000"), note="Plafond")
    with pytest.raises(RuleViolation) as exc:
        services.funding_line_invoice(line=line, by=funder_officer, amount=D("2000.01"))
    assert exc.value.field == "amount_invoiced"
    line.refresh_from_db()
    assert line.state == FundingState.APPROVED


def test_invoice_only_from_approved(submitted, funder_officer):
    with pytest.raises(Conflict):
        services.funding_line_invoice(line=submitted, by=funder_officer, amount=D("10"))


def test_pay_within_the_invoiced_amount(invoiced, funder_officer):
    with pytest.raises(RuleViolation) as exc:
        services.funding_line_pay(line=invoiced, by=funder_officer, amount=D("3000.01"))
    assert exc.value.field == "amount_paid"
    with pytest.raises(RuleViolation):
        services.funding_line_pay(line=invoiced, by=funder_officer, amount=D("-1"))
    line = services.funding_line_pay(line=invoiced, by=funder_officer, amount=D("3000"))
    assert line.state == FundingState.PAID
    assert trail(line)[-1] == ("funding.pay", "invoiced", "paid")
    with pytest.raises(Conflict):
        services.funding_line_pay(line=line, by=funder_officer, amount=D("1"))


def test_pay_only_from_invoiced(approved, funder_officer):
    with pytest.raises(Conflict):
        services.funding_line_pay(line=approved, by=funder_officer, amount=D("10"))


def test_invoice_and_pay_belong_to_the_funder(approved, candidate_user):
    with pytest.raises(NotAllowed):
        services.funding_line_invoice(line=approved, by=candidate_user, amount=D("10"))


def test_cancel_a_draft_without_reason(line, candidate_user):
    line = services.funding_line_cancel(line=line, by=candidate_user)
    assert line.state == FundingState.CANCELLED
    assert trail(line)[-1] == ("funding.cancel", "draft", "cancelled")


@pytest.mark.parametrize("fixture", ["submitted", "approved"])
def test_cancelling_a_request_the_funder_has_needs_a_reason(request, fixture, candidate_user):
    line = request.getfixturevalue(fixture)
    with pytest.raises(RuleViolation):
        services.funding_line_cancel(line=line, by=candidate_user)
    line = services.funding_line_cancel(line=line, by=candidate_user, reason="Autre financement")
    assert line.state == FundingState.CANCELLED


@pytest.mark.parametrize("fixture", ["invoiced"])
def test_an_invoiced_line_cannot_be_cancelled(request, fixture, candidate_user):
    line = request.getfixturevalue(fixture)
    with pytest.raises(Conflict):
        services.funding_line_cancel(line=line, by=candidate_user, reason="x")


def test_cancel_is_refused_to_outsiders(line, other_candidate_user):
    with pytest.raises(NotAllowed):
        services.funding_line_cancel(line=line, by=other_candidate_user)


def test_a_closed_path_takes_no_new_funding(version, candidate_user, opco_funder):
    from tests.factories.candidates import CandidateFactory, PathFactory

    path = PathFactory(version=version, candidate=CandidateFactory(user=candidate_user), state="awarded")
    with pytest.raises(RuleViolation) as exc:
        create(path, candidate_user, funder=opco_funder)
    assert exc.value.code == "path_closed"


def test_the_database_refuses_inconsistent_amounts(path, opco_funder):
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingLineFactory(path=path, funder=opco_funder, amount_requested=D("10"), amount_approved=D("11"))
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingLineFactory(path=path, funder=opco_funder, amount_requested=D("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingLineFactory(
            path=path, funder=opco_funder, amount_approved=D("10"), amount_invoiced=D("10"), amount_paid=D("11")
        )


def test_the_state_field_is_protected(line):
    from django.core.exceptions import FieldError

    with pytest.raises((AttributeError, FieldError)):
        line.state = FundingState.PAID
