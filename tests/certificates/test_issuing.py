import datetime
import hashlib

import pytest
from django.core.files.storage import default_storage

from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import RuleViolation
from juries import models as jury
from juries.certificates import services
from juries.certificates.models import Certificate, CertificateKind, CertificateState
from tests.factories.certificates import award_setup, closed_session, final_decision

pytestmark = pytest.mark.django_db


def issue(decision, capture):
    with capture(execute=True):
        return services.certificate_issue_for_decision(decision=decision)


def test_a_full_award_gives_one_numbered_certificate_with_a_snapshot(award, django_capture_on_commit_callbacks):
    [certificate] = issue(award, django_capture_on_commit_callbacks)
    certificate.refresh_from_db()
    candidate = award.dossier.path.candidate
    assert certificate.kind == CertificateKind.CERTIFICATE
    assert certificate.state == CertificateState.ISSUED
    assert certificate.number == "CQP-SERVEUR-RESTAURATION-2026-000001"
    assert certificate.holder_birth_name == candidate.birth_name
    assert certificate.registration_number.startswith("RNCP") and certificate.registration_level == 3
    assert certificate.award_date == datetime.date(2026, 6, 30)
    assert certificate.award_place == "Paris"
    assert [b.code for b in certificate.blocks.all()] == ["BC01", "BC02", "BC03"]
    assert certificate.signatory_name  # the jury president
    # The stored file is the one whose fingerprint is published.
    with default_storage.open(certificate.pdf.name, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == certificate.sha256
    actions = set(AuditEntry.objects.filter(object_id=str(certificate.pk)).values_list("action", flat=True))
    assert {"certificate.create", "certificate.issue"} <= actions


def test_the_snapshot_survives_a_later_change_of_the_candidate(issued):
    candidate = issued.path.candidate
    candidate.birth_name = "ANONYME"
    candidate.save()
    issued.refresh_from_db()
    assert issued.holder_birth_name != "ANONYME"


def test_a_partial_award_gives_an_attestation_of_the_validated_blocks(branch, django_capture_on_commit_callbacks):
    certification, version = award_setup(branch)
    session = closed_session(certification)
    decision = final_decision(session, version=version, outcome=jury.Outcome.PARTIAL, validated=["BC01", "BC03"])
    [attestation] = issue(decision, django_capture_on_commit_callbacks)
    assert attestation.kind == CertificateKind.PARTIAL_ATTESTATION
    assert sorted(b.code for b in attestation.blocks.all()) == ["BC01", "BC03"]


def test_a_refusal_gives_nothing(branch, django_capture_on_commit_callbacks):
    certification, version = award_setup(branch)
    decision = final_decision(closed_session(certification), version=version, outcome=jury.Outcome.REFUSED)
    assert issue(decision, django_capture_on_commit_callbacks) == []
    assert not Certificate.objects.exists()


def test_block_attestations_when_the_certification_asks_for_them(branch, django_capture_on_commit_callbacks):
    certification, version = award_setup(branch, issue_block_attestations=True)
    decision = final_decision(
        closed_session(certification), version=version, outcome=jury.Outcome.PARTIAL, validated=["BC01", "BC02"]
    )
    documents = issue(decision, django_capture_on_commit_callbacks)
    kinds = sorted((d.kind, d.block.code if d.block else "") for d in documents)
    assert kinds == [("block_attestation", "BC01"), ("block_attestation", "BC02"), ("partial_attestation", "")]
    # One counter per certification and year for every kind of document.
    assert sorted(d.sequence for d in documents) == [1, 2, 3]


def test_issuing_twice_creates_nothing_more(award, django_capture_on_commit_callbacks):
    first = issue(award, django_capture_on_commit_callbacks)
    second = issue(award, django_capture_on_commit_callbacks)
    assert [c.pk for c in first] == [c.pk for c in second]
    assert Certificate.objects.count() == 1


def test_only_a_current_final_decision_is_issued(branch):
    certification, version = award_setup(branch)
    session = closed_session(certification)
    decision = final_decision(session, version=version, state=jury.DecisionState.PROPOSED)
    with pytest.raises(RuleViolation) as excinfo:
        services.certificate_issue_for_decision(decision=decision)
    assert excinfo.value.code == "decision_not_final"


def test_nothing_is_issued_before_the_award_date(branch):
    certification, version = award_setup(branch)
    session = closed_session(certification)
    jury.JurySession.objects.filter(pk=session.pk).update(award_date=None)
    decision = final_decision(session, version=version)
    with pytest.raises(RuleViolation) as excinfo:
        services.certificate_issue_for_decision(decision=decision)
    assert excinfo.value.code == "no_award_date"
    assert not Certificate.objects.exists()


def test_rendering_twice_keeps_one_file_and_one_fingerprint(issued):
    name, digest = issued.pdf.name, issued.sha256
    assert services.certificate_render(certificate_id=issued.pk) is False
    issued.refresh_from_db()
    assert (issued.pdf.name, issued.sha256, issued.attempts) == (name, digest, 1)


def test_a_corrected_decision_reissues_under_a_new_number(issued, django_capture_on_commit_callbacks):
    old_decision = issued.decision
    # In the order the database accepts (juries migration 0003): the correction first, then the
    # old decision stops being current, then the correction becomes final and current.
    new_decision = jury.Decision.objects.create(
        dossier=old_decision.dossier,
        outcome=jury.Outcome.TOTAL,
        is_current=False,
        supersedes=old_decision,
        correction_reason="Erreur matérielle",
    )
    jury.BlockDecision.objects.bulk_create(
        [
            jury.BlockDecision(decision=new_decision, block=bd.block, validated=True)
            for bd in old_decision.block_decisions.all()
        ]
    )
    jury.Decision.objects.filter(pk=old_decision.pk).update(is_current=False)
    jury.Decision.objects.filter(pk=new_decision.pk).update(is_current=True, state=jury.DecisionState.FINAL)
    new_decision.refresh_from_db()
    [new] = issue(new_decision, django_capture_on_commit_callbacks)
    issued.refresh_from_db()
    assert issued.state == CertificateState.REVOKED and issued.revocation_reason
    assert new.supersedes_id == issued.pk and new.number != issued.number
    assert new.award_ref == issued.award_ref  # the same award for the CDC


def test_a_certificate_is_never_deleted(issued):
    with pytest.raises(TypeError):
        issued.delete()
