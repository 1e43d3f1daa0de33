"""The jury app's services issue certificates through its signals: close (no ratification)
and correction of a final decision."""

import pytest

from juries import services as jury_services
from juries.certificates.models import Certificate, CertificateKind, CertificateState
from juries.models import Decision
from tests.factories.certificates import registered_certification
from tests.factories.certifications import published_version
from tests.factories.juries import JurySessionFactory, ready_path, seat_jury

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliberating(branch, branch_admin, jury_member, evaluator):
    certification = registered_certification(branch)
    version = published_version(certification, blocks=2)
    session = JurySessionFactory(certifications=[certification])
    seat_jury(session, jury_member)
    paths = [
        ready_path(version, evaluator=evaluator, outcomes={"BC01": "acquired", "BC02": "acquired"}) for _ in range(2)
    ]
    for path in paths:
        jury_services.dossier_add(session=session, path=path, by=branch_admin)
    jury_services.jury_session_convene(session=session, by=branch_admin)
    jury_services.jury_session_start_deliberation(session=session, by=jury_member)
    session.refresh_from_db()
    return session, paths


def decide(path, by, values):
    decision = Decision.objects.get(dossier__path=path, is_current=True)
    blocks = {bd.block_id: values[bd.block.code] for bd in decision.block_decisions.select_related("block")}
    # A block not validated is reasoned (juries: a partial award gives the reason per block).
    reasons = {block_id: "Non démontré." for block_id, value in blocks.items() if value is False}
    return jury_services.decision_update(
        decision=decision, by=by, expected_version=decision.row_version, blocks=blocks, block_reasons=reasons
    )


def test_closing_the_session_issues_the_certificates(deliberating, jury_member, django_capture_on_commit_callbacks):
    session, (full, partial) = deliberating
    decide(full, jury_member, {"BC01": True, "BC02": True})
    decide(partial, jury_member, {"BC01": True, "BC02": False})
    with django_capture_on_commit_callbacks(execute=True):
        jury_services.jury_session_close(session=session, by=jury_member)
    documents = {c.path_id: c for c in Certificate.objects.all()}
    assert documents[full.pk].kind == CertificateKind.CERTIFICATE
    assert documents[partial.pk].kind == CertificateKind.PARTIAL_ATTESTATION
    assert {c.state for c in documents.values()} == {CertificateState.ISSUED}
    assert documents[full.pk].signatory_name == str(jury_member)


def test_a_correction_after_the_award_reissues(deliberating, jury_member, django_capture_on_commit_callbacks):
    session, (full, partial) = deliberating
    decide(full, jury_member, {"BC01": True, "BC02": True})
    decide(partial, jury_member, {"BC01": True, "BC02": False})
    with django_capture_on_commit_callbacks(execute=True):
        jury_services.jury_session_close(session=session, by=jury_member)
    old = Certificate.objects.get(path=partial)
    decision = Decision.objects.get(dossier__path=partial, is_current=True)
    bc02 = decision.block_decisions.get(block__code="BC02")
    with django_capture_on_commit_callbacks(execute=True):
        jury_services.decision_correct(
            decision=decision, by=jury_member, reason="Erreur de saisie", blocks={bc02.block_id: True}
        )
    old.refresh_from_db()
    new = Certificate.objects.get(path=partial, state=CertificateState.ISSUED)
    assert old.state == CertificateState.REVOKED and new.supersedes == old
    assert new.kind == CertificateKind.CERTIFICATE  # the correction made it a full award
