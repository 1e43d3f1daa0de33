"""The access-route table of domain.md, rule by rule, and path creation using it."""

import datetime

import pytest
from django.utils import translation

from candidates import services
from candidates.eligibility import access_route_eligibility
from candidates.models import AccessRoute, PathState
from certifications.models import CertificationKind, Register
from cqp_portal.errors import NotAllowed, RuleViolation
from tests.factories.certifications import CertificationFactory, RegistrationFactory, published_version

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def reasons(cert, route, day=DAY):
    return " ".join(access_route_eligibility(certification=cert, access_route=route, on_date=day))


def unregistered():
    return CertificationFactory()


def registered(register=Register.RNCP, routes=("continuing", "professionalisation", "vae"), cert=None, **kwargs):
    certification = CertificationFactory(**(cert or {}))
    if register == Register.RS:
        kwargs.update(register=Register.RS, level=None, number="RS5555")
    RegistrationFactory(certification=certification, access_routes=list(routes), **kwargs)
    return certification


def test_vae_needs_an_active_rncp_registration_that_opens_vae():
    assert reasons(registered(), AccessRoute.VAE) == ""
    assert "registered at the RNCP" in reasons(unregistered(), AccessRoute.VAE)
    assert "registered at the RNCP" in reasons(registered(Register.RS), AccessRoute.VAE)
    assert "does not open it to VAE" in reasons(registered(routes=["continuing"]), AccessRoute.VAE)
    assert "registered at the RNCP" in reasons(registered(listed_active=False), AccessRoute.VAE)


def test_apprenticeship_is_refused_unless_the_registration_allows_it():
    assert "contrat d'apprentissage does not lead to a CQP" in reasons(unregistered(), AccessRoute.APPRENTICESHIP)
    assert "contrat d'apprentissage" in reasons(registered(), AccessRoute.APPRENTICESHIP)
    assert reasons(registered(routes=["apprenticeship"]), AccessRoute.APPRENTICESHIP) == ""


def test_pro_a_needs_rncp_and_the_branch_list():
    assert reasons(registered(cert={"pro_a_eligible": True}), AccessRoute.PRO_A) == ""
    assert "not on the branch's Pro-A list" in reasons(registered(), AccessRoute.PRO_A)
    assert "registered at the RNCP" in reasons(unregistered(), AccessRoute.PRO_A)
    assert "registered at the RNCP" in reasons(CertificationFactory(pro_a_eligible=True), AccessRoute.PRO_A)


@pytest.mark.parametrize("route", [AccessRoute.PROFESSIONALISATION, AccessRoute.POE, AccessRoute.CONTINUING])
def test_professionalisation_poe_and_continuing_need_no_registration(route):
    assert reasons(unregistered(), route) == ""
    assert reasons(registered(), route) == ""


def test_no_new_path_after_the_registration_end_date_bounds_included():
    cert = registered(end_date=DAY)
    assert reasons(cert, AccessRoute.CONTINUING, DAY) == ""
    assert "ended on" in reasons(cert, AccessRoute.CONTINUING, DAY + datetime.timedelta(days=1))
    assert "ended on" in reasons(cert, AccessRoute.PROFESSIONALISATION, DAY + datetime.timedelta(days=1))


def test_external_certifications_are_not_prepared_here():
    assert "Only CQP and CQPI" in reasons(CertificationFactory(kind=CertificationKind.EXTERNAL), "continuing")


@pytest.fixture
def enrolable(branch):
    cert = CertificationFactory(branches=[branch])
    RegistrationFactory(certification=cert)
    published_version(cert)
    return cert


def test_path_create_picks_the_latest_published_version(enrolable, candidate, candidate_user):
    from certifications.models import ReferentialVersion

    newer = published_version(enrolable)
    ReferentialVersion.objects.create(certification=enrolable, number=99)  # a draft is never used
    path = services.path_create(
        candidate=candidate, certification=enrolable, access_route=AccessRoute.CONTINUING, by=candidate_user
    )
    assert path.version == newer
    assert path.state == PathState.DRAFT


def test_path_create_refuses_an_ineligible_route_on_the_access_route_field(enrolable, candidate, candidate_user):
    with pytest.raises(RuleViolation) as refused:
        services.path_create(
            candidate=candidate, certification=enrolable, access_route=AccessRoute.APPRENTICESHIP, by=candidate_user
        )
    assert refused.value.field == "access_route"


def test_path_create_refuses_the_start_after_the_end_date(enrolable, candidate, candidate_user):
    with pytest.raises(RuleViolation, match="ended on"):
        services.path_create(
            candidate=candidate,
            certification=enrolable,
            access_route=AccessRoute.CONTINUING,
            by=candidate_user,
            start_date=datetime.date(2029, 2, 1),
        )


def test_path_create_needs_a_published_version(candidate, candidate_user):
    with pytest.raises(RuleViolation, match="no published référentiel"):
        services.path_create(
            candidate=candidate, certification=unregistered(), access_route="continuing", by=candidate_user
        )


def test_single_block_targeting_is_for_vae(enrolable, candidate, candidate_user):
    block = enrolable.versions.get().blocks.first()
    with pytest.raises(RuleViolation, match="Only a VAE path may target a single block"):
        services.path_create(
            candidate=candidate,
            certification=enrolable,
            access_route="continuing",
            by=candidate_user,
            vae_target_block=block,
        )
    path = services.path_create(
        candidate=candidate, certification=enrolable, access_route="vae", by=candidate_user, vae_target_block=block
    )
    assert path.vae_target_block == block


def test_one_open_path_per_certification(enrolable, candidate, candidate_user):
    services.path_create(candidate=candidate, certification=enrolable, access_route="continuing", by=candidate_user)
    with pytest.raises(RuleViolation, match="already has an open path"):
        services.path_create(candidate=candidate, certification=enrolable, access_route="continuing", by=candidate_user)


def test_providers_need_a_habilitation_and_outsiders_may_not_enrol(
    enrolable, candidate, provider_staff, provider, other_candidate_user
):
    with pytest.raises(NotAllowed):
        services.path_create(
            candidate=candidate, certification=enrolable, access_route="continuing", by=other_candidate_user
        )
    with pytest.raises(RuleViolation, match="not habilitated to prepare"):
        services.path_create(
            candidate=candidate,
            certification=enrolable,
            access_route="continuing",
            by=provider_staff,
            training_provider=provider,
        )
