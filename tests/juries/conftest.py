import pytest

from juries import services
from juries.models import College
from tests.factories.accounts import TEST_PASSWORD
from tests.factories.certifications import CertificationFactory, RegistrationFactory, published_version
from tests.factories.juries import JurySessionFactory, ready_path, seat_jury


@pytest.fixture
def certification(branch):
    certification = CertificationFactory(
        branches=[branch], code="cqp-serveur", title="CQP Serveur en restauration", block_validity_months=60
    )
    RegistrationFactory(certification=certification)
    return certification


@pytest.fixture
def version(certification):
    """BC01 and BC02 mandatory, BC03 optional."""
    return published_version(certification, blocks=3, optional=1)


@pytest.fixture
def session(certification):
    return JurySessionFactory(certifications=[certification])


@pytest.fixture
def jury(session, jury_member):
    """The persona ``jury_member`` presides a valid joint jury (2 employers + 2 employees)."""
    return seat_jury(session, jury_member)


@pytest.fixture
def path(version, evaluator):
    return ready_path(version, evaluator=evaluator, outcomes={"BC01": "acquired", "BC02": "not_acquired"})


@pytest.fixture
def deliberating(session, jury, path, branch_admin, jury_member):
    """A convened session in deliberation with one dossier."""
    services.dossier_add(session=session, path=path, by=branch_admin)
    services.jury_session_convene(session=session, by=branch_admin)
    services.jury_session_start_deliberation(session=session, by=jury_member)
    session.refresh_from_db()
    return session


def current_decision(path):
    from juries.models import Decision

    return Decision.objects.get(dossier__path=path, is_current=True)


def decide(decision, by, values: dict[str, bool | None], **kwargs):
    """Save a grid row by block code. Reasons are given as a jury must (a reason per block not
    validated, overall reasons when nothing is validated) unless the test passes its own."""
    blocks = {
        bd.block_id: values[bd.block.code]
        for bd in decision.block_decisions.select_related("block")
        if bd.block.code in values
    }
    kwargs.setdefault(
        "block_reasons", {block_id: "Non démontré." for block_id, value in blocks.items() if value is False}
    )
    if not any(blocks.values()) and None not in blocks.values():
        kwargs.setdefault("reasons", "Aucun bloc démontré.")
    decision.refresh_from_db()
    return services.decision_update(
        decision=decision, by=by, expected_version=decision.row_version, blocks=blocks, **kwargs
    )


def approve_both(session, president):
    """The PV approved by the president and a vice-president of the employee college."""
    vice = session.members.filter(college=College.EMPLOYEE).order_by("pk").first()
    services.jury_session_set_vice_president(session=session, member=vice, by=president)
    services.jury_session_approve_minutes(session=session, by=president, second_factor=TEST_PASSWORD)
    services.jury_session_approve_minutes(session=session, by=vice.user, second_factor=TEST_PASSWORD)
