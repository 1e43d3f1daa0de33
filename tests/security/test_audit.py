# ruff: noqa: F811 (fixtures imported from tests/juries/conftest.py)
"""The audit trail: every state transition of the flows below writes a row (who, when, from,
to), and nothing in the application edits or deletes a row (the PostgreSQL trigger itself is
tested in tests/foundation/test_database.py)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django_fsm.signals import post_transition

from candidates import services as path_services
from candidates.models import PathState
from certifications import services as certification_services
from cqp_portal.audit.models import AuditEntry
from financing import services as funding_services
from juries import services as jury_services
from tests.factories.candidates import PathFactory
from tests.juries.conftest import (  # noqa: F401 (fixtures)
    certification,
    current_decision,
    decide,
    deliberating,
    jury,
    path,
    session,
    version,
)

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def transitions():
    """Every django-fsm transition made while the test runs: (model label, pk, source, target)."""
    seen = []

    def record(sender, instance, name, source, target, **kwargs):
        seen.append((sender._meta.label_lower, str(instance.pk), name, str(source), str(target)))

    post_transition.connect(record, weak=False, dispatch_uid="security-audit-test")
    yield seen
    post_transition.disconnect(dispatch_uid="security-audit-test")


# Transitions made by the system (a Celery task), not by a person: audited without an actor.
SYSTEM_TRANSITIONS = {("certificates.certificate", "issue")}


def assert_each_transition_is_audited(transitions, actors):
    assert transitions, "no transition happened: the flow did not run"
    missing = []
    for label, pk, name, source, target in transitions:
        app_label, model = label.split(".")
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
        rows = AuditEntry.objects.filter(content_type=content_type, object_id=pk, from_state=source, to_state=target)
        row = rows.first()
        if row is None:
            missing.append(f"{label} #{pk} {name}: {source} → {target}")
            continue
        assert row.at is not None
        expected = actors | {None} if (label, name) in SYSTEM_TRANSITIONS else actors
        assert row.actor in expected, f"{label} #{pk} {name}: audited as {row.actor}"
    assert not missing, "transitions without an audit row:\n" + "\n".join(missing)


def test_path_transitions_are_audited(transitions, world, evaluator, candidate_user):
    path = PathFactory(
        version=world.version, candidate=world.candidate_a, state=PathState.REGISTERED, evaluator=evaluator
    )
    path_services.path_start_positioning(path=path, by=evaluator)
    path.refresh_from_db()
    path_services.path_withdraw(path=path, by=candidate_user, note="Déménagement")
    assert_each_transition_is_audited(transitions, {evaluator, candidate_user})
    withdraw = AuditEntry.objects.for_object(path).get(to_state=PathState.WITHDRAWN)
    assert withdraw.note == "Déménagement"


def test_referential_version_transitions_are_audited(transitions, world, branch_admin):
    draft = certification_services.version_new_from_published(certification=world.certification, by=branch_admin)
    certification_services.version_publish(version=draft, by=branch_admin)
    draft.refresh_from_db()
    certification_services.version_retire(version=draft, by=branch_admin, note="Remplacée")
    assert_each_transition_is_audited(transitions, {branch_admin})


def test_funding_line_transitions_are_audited(transitions, world, funder_officer):
    line = world.funding_line  # submitted
    funding_services.funding_line_approve(line=line, by=funder_officer)
    line.refresh_from_db()
    funding_services.funding_line_invoice(line=line, by=funder_officer, amount=line.amount_approved)
    assert_each_transition_is_audited(transitions, {funder_officer})


def test_jury_session_decision_and_path_transitions_are_audited(
    transitions, deliberating, path, jury_member, branch_admin, django_capture_on_commit_callbacks
):
    decide(current_decision(path), jury_member, {"BC01": True, "BC02": True, "BC03": True})
    with django_capture_on_commit_callbacks(execute=True):
        jury_services.jury_session_close(session=deliberating, by=jury_member)
    labels = {t[0] for t in transitions}
    assert {"juries.jurysession", "juries.decision", "candidates.path"} <= labels, labels
    # The fixture convened the session as branch administrator; the president closed it.
    assert_each_transition_is_audited(transitions, {jury_member, branch_admin})


def test_certificate_issue_and_revocation_are_audited(transitions, world, staff_user):
    pytest.importorskip("juries.certificates.services")
    from juries.certificates import services as certificate_services

    certificate = world.certificate
    created = AuditEntry.objects.for_object(certificate).get(action="certificate.create")
    assert created.to_state == "pending"
    certificate_services.certificate_render(certificate_id=certificate.pk)  # the worker's job, run here
    certificate.refresh_from_db()
    certificate_services.certificate_revoke(certificate=certificate, by=staff_user, reason="Fraude établie")
    # Rendering is done by the worker (no person): its row has no actor; revocation names staff.
    assert_each_transition_is_audited(transitions, {staff_user})
    revoked = AuditEntry.objects.for_object(certificate).get(to_state="revoked")
    assert revoked.actor == staff_user


def test_block_assessments_and_decision_changes_are_recorded(world, evaluator, deliberating, path, jury_member):
    decision = current_decision(path)
    decide(decision, jury_member, {"BC01": True, "BC02": False, "BC03": True})
    rows = AuditEntry.objects.for_object(decision)
    assert rows.exists(), "a decision change left no audit row"
    assert all(r.actor == jury_member for r in rows)
    # A's file is with the jury: an assessment changes only by a superseding correction, audited.
    block = world.assessment.block
    correction = path_services.assessment_record(
        path=world.path_a,
        block=block,
        by=evaluator,
        modality=block.modalities.first(),
        assessed_on=world.assessment.assessed_on,
        outcome="not_acquired",
        criterion_results={c.pk: False for c in block.criteria.all()},
        supersedes=world.assessment,
        correction_reason="Grille mal reportée",
    )
    entry = AuditEntry.objects.for_object(world.path_a).get(action="assessment.correct")
    assert (entry.actor, entry.note, entry.changes["assessment"]) == (evaluator, "Grille mal reportée", correction.pk)
    assert entry.changes["outcome"] == "not_acquired" and entry.at is not None


# --- nothing edits or deletes the trail ---------------------------------------------------------


def test_no_url_of_the_application_serves_audit_entries_for_writing():
    """Only the read-only admin knows the model: no view or API module imports it for writes."""
    offenders = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern).startswith("admin/"):
                    continue
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                cls = getattr(p.callback, "cls", None)
                queryset = getattr(cls, "queryset", None)
                if queryset is not None and queryset.model is AuditEntry:
                    offenders.append(prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    assert not offenders, offenders


def test_the_admin_cannot_add_change_or_delete_audit_entries(client, staff_user, world):
    entry = AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(world.path_a),
        object_id=str(world.path_a.pk),
        action="path.test",
        from_state="a",
        to_state="b",
    )
    client.force_login(staff_user)
    base = "/admin/audit/auditentry/"
    assert client.get(base).status_code == 200  # staff read it
    assert client.get(f"{base}{entry.pk}/change/").status_code == 200  # read-only view
    assert client.post(f"{base}{entry.pk}/change/", {"action": "forged", "note": "x"}).status_code == 403
    assert client.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{base}add/", {"action": "forged"}).status_code == 403
    bulk = client.post(base, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert bulk.status_code in (200, 302, 403)
    entry.refresh_from_db()
    assert (entry.action, AuditEntry.objects.filter(pk=entry.pk).exists()) == ("path.test", True)


def test_the_model_refuses_update_and_delete():
    with pytest.raises(TypeError):
        AuditEntry.objects.all().update(note="x")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
