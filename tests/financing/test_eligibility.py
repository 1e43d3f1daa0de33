"""Every eligibility rule of domain.md ("Rules the software enforces", "Financing schemes"),
each with the reason it gives."""

import datetime

import pytest
from django.utils import translation

from candidates.models import AccessRoute, CandidateStatus
from certifications.models import Register
from financing.eligibility import funder_eligibility, scheme_eligibility
from financing.models import FunderKind, Scheme
from tests.factories.certifications import CertificationFactory, RegistrationFactory, published_version
from tests.factories.certifications import habilitate_provider as habilitate
from tests.factories.financing import FunderFactory
from tests.financing.conftest import START, make_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def unregistered_version(branch):
    return published_version(CertificationFactory(branches=[branch]))


def test_cpf_is_refused_for_an_unregistered_cqp(unregistered_version, provider):
    habilitate(unregistered_version.certification, provider)
    path = make_path(unregistered_version, provider=provider)
    [reason] = scheme_eligibility(path, Scheme.CPF, START)
    assert "registered at the RNCP / RS" in reason


def test_cpf_is_refused_when_the_registration_is_not_active_on_the_start_date(version, provider):
    habilitate(version.certification, provider)
    path = make_path(version, provider=provider)
    late = datetime.date(2030, 1, 1)  # the factory's registration ends on 2029-01-15
    [reason] = scheme_eligibility(path, Scheme.CPF, late)
    assert "is not active on" in reason
    assert scheme_eligibility(path, Scheme.CPF, START) == []


def test_cpf_is_refused_without_a_training_provider(version):
    path = make_path(version)
    [reason] = scheme_eligibility(path, Scheme.CPF, START)
    assert "needs a training provider habilitated" in reason


def test_cpf_is_refused_when_the_provider_is_not_habilitated_on_the_start_date(version, provider):
    habilitate(version.certification, provider, valid_until=datetime.date(2025, 12, 31))
    path = make_path(version, provider=provider)
    [reason] = scheme_eligibility(path, Scheme.CPF, START)
    assert f"{provider.name} is not habilitated" in reason


def test_cpf_is_allowed_for_an_rs_registration_with_a_habilitated_provider(branch, provider):
    certification = CertificationFactory(branches=[branch])
    RegistrationFactory(certification=certification, register=Register.RS, number="RS5555", level=None)
    habilitate(certification, provider)
    path = make_path(published_version(certification), provider=provider)
    assert scheme_eligibility(path, Scheme.CPF, START) == []


def test_cpf_for_vae_needs_no_provider(version):
    path = make_path(version, access_route=AccessRoute.VAE)
    assert scheme_eligibility(path, Scheme.CPF, START) == []


def test_pro_a_is_refused_outside_the_rncp(branch):
    certification = CertificationFactory(branches=[branch], pro_a_eligible=True)
    RegistrationFactory(certification=certification, register=Register.RS, number="RS7777", level=None)
    path = make_path(published_version(certification))
    [reason] = scheme_eligibility(path, Scheme.PRO_A, START)
    assert "registered at the RNCP" in reason


def test_pro_a_is_refused_for_an_unregistered_cqp(unregistered_version):
    unregistered_version.certification.pro_a_eligible = True
    unregistered_version.certification.save()
    path = make_path(unregistered_version)
    assert any("registered at the RNCP" in r for r in scheme_eligibility(path, Scheme.PRO_A, START))


def test_pro_a_is_refused_when_the_cqp_is_not_on_the_branch_list(version):
    version.certification.pro_a_eligible = False
    version.certification.save()
    path = make_path(version)
    [reason] = scheme_eligibility(path, Scheme.PRO_A, START)
    assert "not on the branch's Pro-A list" in reason


@pytest.mark.parametrize(("level", "eligible"), [(None, True), (4, True), (5, True), (6, False), (7, False)])
def test_pro_a_is_only_below_licence_level(version, level, eligible):
    path = make_path(version)
    path.candidate.highest_degree_level = level
    reasons = scheme_eligibility(path, Scheme.PRO_A, START)
    assert (reasons == []) is eligible
    if not eligible:
        assert "below licence level" in reasons[0]


def test_pro_a_is_only_for_employees(version):
    path = make_path(version, status=CandidateStatus.JOB_SEEKER)
    [reason] = scheme_eligibility(path, Scheme.PRO_A, START)
    assert "only for employees" in reason


def test_contrat_de_professionnalisation_is_allowed_for_any_cqp(unregistered_version, version):
    assert scheme_eligibility(make_path(unregistered_version), Scheme.PROFESSIONALISATION, START) == []
    assert scheme_eligibility(make_path(version), Scheme.PROFESSIONALISATION, START) == []


@pytest.mark.parametrize("scheme", [Scheme.POEI, Scheme.POEC])
def test_poei_and_poec_need_no_registration_but_a_job_seeker(unregistered_version, scheme):
    assert scheme_eligibility(make_path(unregistered_version, status=CandidateStatus.JOB_SEEKER), scheme, START) == []
    [reason] = scheme_eligibility(make_path(unregistered_version), scheme, START)
    assert "only for job seekers" in reason


def test_the_plan_needs_no_registration_but_an_employee(unregistered_version):
    assert scheme_eligibility(make_path(unregistered_version), Scheme.PLAN, START) == []
    [reason] = scheme_eligibility(
        make_path(unregistered_version, status=CandidateStatus.JOB_SEEKER), Scheme.PLAN, START
    )
    assert "only for employees" in reason


def test_cpf_de_transition_only_funds_what_is_cpf_eligible(unregistered_version, version, provider):
    assert (
        "registered at the RNCP / RS"
        in scheme_eligibility(make_path(unregistered_version), Scheme.CPF_TRANSITION, START)[0]
    )
    habilitate(version.certification, provider)
    assert scheme_eligibility(make_path(version, provider=provider), Scheme.CPF_TRANSITION, START) == []


def test_vae_funding_needs_a_vae_path_on_an_active_rncp_certification(version, unregistered_version):
    assert scheme_eligibility(make_path(version, access_route=AccessRoute.VAE), Scheme.VAE, START) == []
    [reason] = scheme_eligibility(make_path(version), Scheme.VAE, START)
    assert "only for a path through VAE" in reason
    reasons = scheme_eligibility(make_path(unregistered_version, access_route=AccessRoute.VAE), Scheme.VAE, START)
    assert any("registered at the RNCP" in r for r in reasons)


def test_self_funding_is_always_allowed(unregistered_version):
    path = make_path(unregistered_version, status=CandidateStatus.JOB_SEEKER)
    assert scheme_eligibility(path, Scheme.SELF, START) == []


def test_reasons_are_in_french_for_french_users(unregistered_version):
    path = make_path(unregistered_version)
    with translation.override("fr"):
        reasons = scheme_eligibility(path, Scheme.CPF, START)
    assert "doit être enregistrée" in reasons[0]


# --- who may pay which scheme --------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "kind", "allowed"),
    [
        (Scheme.CPF, FunderKind.CDC, True),
        (Scheme.CPF, FunderKind.OPCO, False),
        (Scheme.CPF_TRANSITION, FunderKind.TRANSITIONS_PRO, True),
        (Scheme.CPF_TRANSITION, FunderKind.CDC, False),
        (Scheme.PRO_A, FunderKind.OPCO, True),
        (Scheme.PRO_A, FunderKind.EMPLOYER, False),
        (Scheme.POEI, FunderKind.FRANCE_TRAVAIL, True),
        (Scheme.POEC, FunderKind.OPCO, True),
        (Scheme.POEI, FunderKind.CDC, False),
        (Scheme.PLAN, FunderKind.EMPLOYER, True),
        (Scheme.PLAN, FunderKind.OPCO, True),
        (Scheme.PLAN, FunderKind.FRANCE_TRAVAIL, False),
        (Scheme.VAE, FunderKind.CANDIDATE, True),
        (Scheme.VAE, FunderKind.TRANSITIONS_PRO, False),
        (Scheme.SELF, FunderKind.CANDIDATE, True),
        (Scheme.SELF, FunderKind.OPCO, False),
    ],
)
def test_which_funder_kind_pays_which_scheme(version, scheme, kind, allowed):
    path = make_path(version)
    reasons = funder_eligibility(path, scheme, FunderFactory(kind=kind))
    assert (reasons == []) is allowed
    if not allowed:
        assert "cannot fund it" in reasons[0]


def test_the_contrat_de_pro_is_paid_by_the_branchs_opco_only(version, opco_funder):
    path = make_path(version)
    assert funder_eligibility(path, Scheme.PROFESSIONALISATION, opco_funder) == []
    another_opco = FunderFactory(kind=FunderKind.OPCO)
    [reason] = funder_eligibility(path, Scheme.PROFESSIONALISATION, another_opco)
    assert "OPCO of the certification's branch" in reason
