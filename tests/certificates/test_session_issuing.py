"""A whole session is issued in one batch (issue 11): numbers stay consecutive, gapless and in
dossier order per certification and year, the query count does not grow with the session, and
issuing again creates nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cqp_portal.audit.models import AuditEntry
from juries import models as jury
from juries.certificates import services
from juries.certificates.models import Certificate, CertificateCounter
from tests.factories.certificates import award_setup, closed_session, final_decision

pytestmark = pytest.mark.django_db


def session_of(branch, count, *, jury_member=None, second=None):
    """``count`` TOTAL decisions on one certification (a partial one in five), and, with
    ``second`` a certification, every third dossier on that one in the same session."""
    certification, version = award_setup(branch, issue_block_attestations=True)
    session = closed_session(certification, president=jury_member)
    decisions = []
    for n in range(count):
        outcome = jury.Outcome.PARTIAL if n % 5 == 4 else jury.Outcome.TOTAL
        on = second if second is not None and n % 3 == 2 else (certification, version)
        if on[0] != certification:
            session.certifications.add(on[0])
        decisions.append(final_decision(session, version=on[1], outcome=outcome))
    return session, certification, decisions


def issue(session, capture):
    with capture(execute=False) as callbacks:
        documents = services.certificates_issue_for_session(session=session)
    return documents, callbacks


def test_a_session_is_numbered_gapless_and_in_dossier_order(branch, jury_member, django_capture_on_commit_callbacks):
    other = award_setup(branch, code="cqp-commis-cuisine", title="Commis de cuisine")
    session, certification, _decisions = session_of(branch, 50, jury_member=jury_member, second=other)
    documents, callbacks = issue(session, django_capture_on_commit_callbacks)
    assert len(callbacks) == len(documents)  # one render task per document, queued after commit
    for cert in (certification, other[0]):
        series = [d for d in documents if d.certification_id == cert.pk]
        assert [d.sequence for d in series] == list(range(1, len(series) + 1))  # issuing order, no gap
        assert CertificateCounter.objects.get(certification=cert, year=2026).last == len(series)
        stored = Certificate.objects.filter(certification=cert).order_by("sequence")
        # Dossier order (then the main document before its block attestations), as one by one.
        assert [(c.decision.dossier_id, c.kind != "block_attestation") for c in stored] == sorted(
            [(c.decision.dossier_id, c.kind != "block_attestation") for c in stored],
            key=lambda item: (item[0], not item[1]),
        )
        assert all(c.number.endswith(f"-2026-{c.sequence:06d}") for c in stored)
    certificate = Certificate.objects.filter(kind="certificate").first()
    assert certificate.blocks.count() == 3 and certificate.signatory_title == "Président du jury"
    assert certificate.signatory_name == str(jury_member)
    partial = Certificate.objects.filter(kind="partial_attestation").first()
    assert [b.code for b in partial.blocks.all()] == ["BC01"]
    audited = AuditEntry.objects.filter(action="certificate.create", to_state="pending")
    assert sorted(int(a.object_id) for a in audited) == sorted(d.pk for d in documents)


def test_issuing_a_session_again_creates_nothing(branch, django_capture_on_commit_callbacks):
    session, _certification, _decisions = session_of(branch, 6)
    first, _ = issue(session, django_capture_on_commit_callbacks)
    again, callbacks = issue(session, django_capture_on_commit_callbacks)
    assert [d.pk for d in again] == [d.pk for d in first]
    assert callbacks == [] and Certificate.objects.count() == len(first)


@pytest.mark.parametrize("count", [5, 50])
def test_the_query_count_does_not_grow_with_the_session(branch, count, django_capture_on_commit_callbacks):
    session, _certification, _decisions = session_of(branch, count)
    with CaptureQueriesContext(connection) as queries:
        documents, _ = issue(session, django_capture_on_commit_callbacks)
    assert len(documents) == count + sum(3 if n % 5 != 4 else 1 for n in range(count))  # + block attestations
    # decisions, block decisions, branches, live documents, president and user, counter
    # (insert, lock, update), certificates, block lines, audit rows; plus savepoints.
    assert len(queries) == 13, [q["sql"][:80] for q in queries]


def test_a_corrected_decision_in_the_batch_replaces_the_old_documents(branch, django_capture_on_commit_callbacks):
    session, _certification, [decision, *_] = session_of(branch, 3)
    first, _ = issue(session, django_capture_on_commit_callbacks)
    old = next(d for d in first if d.decision_id == decision.pk and d.kind == "certificate")
    # In the order the database accepts (juries migration 0003): the correction first, then the
    # old decision stops being current, then the correction becomes final and current.
    correction = jury.Decision.objects.create(
        dossier=decision.dossier,
        outcome=jury.Outcome.TOTAL,
        is_current=False,
        supersedes=decision,
        correction_reason="Erreur de saisie",
    )
    jury.BlockDecision.objects.bulk_create(
        [
            jury.BlockDecision(decision=correction, block=bd.block, validated=True)
            for bd in decision.block_decisions.all()
        ]
    )
    decision.is_current = False
    decision.save(update_fields=["is_current"])
    jury.Decision.objects.filter(pk=correction.pk).update(is_current=True, state=jury.DecisionState.FINAL)
    correction.refresh_from_db()
    second, _ = issue(session, django_capture_on_commit_callbacks)
    new = next(d for d in second if d.decision_id == correction.pk and d.kind == "certificate")
    old.refresh_from_db()
    assert old.state == "revoked" and new.supersedes_id == old.pk and new.award_ref == old.award_ref
    assert new.sequence == max(c.sequence for c in first if c.certification_id == new.certification_id) + 1
