import pytest

from tests.factories.certifications import CertificationFactory, published_version


@pytest.fixture
def cqp(branch):
    return CertificationFactory(code="cqp-test", title="CQP Serveur test", branches=[branch])


@pytest.fixture
def published(cqp):
    return published_version(cqp, blocks=3)


@pytest.fixture
def other_cqp(other_branch):
    return CertificationFactory(code="cqp-other", title="CQP Régleur test", branches=[other_branch])


@pytest.fixture
def cqpi(branch, other_branch):
    from certifications.models import CertificationKind

    return CertificationFactory(
        code="cqpi-test", title="CQPI Tuteur test", kind=CertificationKind.CQPI, branches=[branch, other_branch]
    )


@pytest.fixture(autouse=True)
def _english_messages():
    """Service tests match the English messages; pages are requested in French by the
    locale middleware and their tests match the French text."""
    from django.utils import translation

    with translation.override("en"):
        yield
