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


@pytest.fixture
def reworked(published, branch_admin):
    """A draft v2 of ``published`` (BC01..BC03): BC01 unchanged, BC02 retitled, BC03 removed,
    BC04 added: publishing it asks for the correspondence of BC02 and BC03."""
    from certifications import services

    draft = services.version_new_from_published(certification=published.certification, by=branch_admin)
    bc02 = draft.blocks.get(code="BC02")
    services.block_save(
        version=draft, by=branch_admin, block=bc02, code="BC02", title="Accueillir et conseiller la clientèle"
    )
    services.block_remove(block=draft.blocks.get(code="BC03"), by=branch_admin)
    services.block_save(
        version=draft,
        by=branch_admin,
        code="BC04",
        title="Encaisser les clients",
        competencies=["Établir l'addition", "Encaisser selon le moyen de paiement"],
        modalities=[{"kind": "practical_situation"}],
        criteria=["L'encaissement est juste"],
    )
    return draft
