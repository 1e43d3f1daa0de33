"""Financing fixtures: an RNCP-registered CQP of ``branch`` prepared by a habilitated provider,
its OPCO as a funder (the persona ``funder`` made the branch's OPCO), the CDC, and paths."""

import datetime
from decimal import Decimal

import pytest

from candidates.models import BlockPlan, CandidateStatus
from financing.models import FunderKind
from tests.factories.candidates import CandidateFactory, PathFactory, plan_blocks
from tests.factories.certifications import (
    CertificationFactory,
    RegistrationFactory,
    habilitate_provider,
    published_version,
)
from tests.factories.financing import CostRateFactory, FunderFactory

START = datetime.date(2026, 3, 2)


@pytest.fixture
def opco_funder(funder, branch):
    """The persona funder, made the OPCO of ``branch`` (so it funds its contrats de pro)."""
    funder.opco = branch.opco
    funder.save()
    return funder


@pytest.fixture
def cdc(db):
    return FunderFactory(name="Caisse des Dépôts test", kind=FunderKind.CDC)


@pytest.fixture
def france_travail(db):
    return FunderFactory(name="France Travail test", kind=FunderKind.FRANCE_TRAVAIL)


@pytest.fixture
def transitions_pro(db):
    return FunderFactory(name="Transitions Pro test", kind=FunderKind.TRANSITIONS_PRO)


@pytest.fixture
def certification(branch):
    certification = CertificationFactory(branches=[branch], pro_a_eligible=True)
    RegistrationFactory(certification=certification)
    return certification


@pytest.fixture
def version(certification):
    return published_version(certification, blocks=3)


def make_path(version, *, user=None, provider=None, status=CandidateStatus.EMPLOYEE, **kwargs):
    candidate = CandidateFactory(user=user, status=status, employer_name=kwargs.pop("employer_name", ""))
    return PathFactory(version=version, candidate=candidate, training_provider=provider, start_date=START, **kwargs)


@pytest.fixture
def path(version, candidate_user, provider):
    """The candidate persona's path, with a habilitated provider and 3 blocks to train (3 × 35 h)."""
    habilitate_provider(version.certification, provider)
    path = make_path(version, user=candidate_user, provider=provider, employer_name="Hôtel du Lac")
    for path_block in plan_blocks(path, BlockPlan.TO_TRAIN):
        path_block.planned_hours = 35
        path_block.save()
    CostRateFactory(certification=version.certification, hourly_rate=Decimal("30.00"))
    return path


@pytest.fixture
def other_path(other_candidate_user):
    """A path of another candidate, on a certification of another branch, without funding access."""
    return make_path(published_version(), user=other_candidate_user)


@pytest.fixture(autouse=True)
def _english_messages():
    """Service and rule messages are asserted in English here; pages are tested in French."""
    from django.utils import translation

    with translation.override("en"):
        yield
