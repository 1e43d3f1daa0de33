import datetime

import pytest

from candidates.models import AccessRoute, PathState
from tests.factories.candidates import CandidateFactory, PathFactory, plan_blocks
from tests.factories.certifications import (
    CertificationFactory,
    RegistrationFactory,
    habilitate_evaluator,
    habilitate_provider,
    published_version,
)


@pytest.fixture
def certification(branch):
    cert = CertificationFactory(branches=[branch], title="CQP Serveur en restauration")
    RegistrationFactory(certification=cert)
    return cert


@pytest.fixture
def version(certification):
    return published_version(certification, blocks=3)


@pytest.fixture
def candidate(candidate_user):
    return CandidateFactory(user=candidate_user, email=candidate_user.email, birth_name="Durand", first_names="Camille")


@pytest.fixture
def habilitated(certification, evaluator, provider):
    habilitate_evaluator(certification, evaluator)
    habilitate_provider(certification, provider)


@pytest.fixture
def make_path(version, candidate, evaluator, provider, habilitated):
    """A path of ``candidate`` in the given state, with the evaluator and provider assigned."""

    def make(state=PathState.DRAFT, *, plan=None, **kwargs):
        kwargs.setdefault("candidate", candidate)
        kwargs.setdefault("evaluator", evaluator)
        kwargs.setdefault("training_provider", provider)
        kwargs.setdefault("access_route", AccessRoute.CONTINUING)
        path = PathFactory(version=version, state=state, **kwargs)
        if plan:
            rows = plan_blocks(path, plan)
            for row in rows:
                row.confirmed_at = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)
                row.save()
        return path

    return make


@pytest.fixture
def assess():
    """Record an assessment of ``block`` by ``person`` with every criterion met."""
    from django.utils import timezone

    from candidates import services

    def record(path, block, person, *, outcome="acquired", on=None, **kwargs):
        return services.assessment_record(
            path=path,
            block=block,
            by=person,
            modality=block.modalities.first(),
            assessed_on=on or timezone.localdate(),
            outcome=outcome,
            criterion_results={c.pk: outcome == "acquired" for c in block.criteria.all()},
            **kwargs,
        )

    return record
