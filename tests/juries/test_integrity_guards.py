"""The back doors closed in PostgreSQL (issue 15, point 7): whatever the code path (ORM
``QuerySet.update()``, raw SQL), the database refuses to rewrite a final decision, delete a
certificate, move a registered path to another référentiel version, change a published version
or rewrite the audit trail; and a service hitting one gets a clear error (HTML and API 409)."""

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.urls import reverse

from candidates.models import Path, PathState
from certifications.models import ReferentialState, ReferentialVersion
from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import IntegrityRefused, integrity_refusal
from juries import services
from juries.certificates.models import Certificate
from juries.models import BlockDecision, CollegeVote, Decision
from tests.factories.candidates import PathFactory
from tests.factories.certifications import published_version
from tests.juries.conftest import current_decision, decide

pytestmark = pytest.mark.django_db

REFUSED = (IntegrityError, InternalError, ProgrammingError)


def refused(sql_or_callable, params=None, marker="cqp-integrity"):
    """Run it in a savepoint; it must be refused by the database with ``marker`` in the error."""
    with pytest.raises(REFUSED) as error, transaction.atomic():
        if callable(sql_or_callable):
            sql_or_callable()
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql_or_callable, params)
    assert marker in str(error.value)
    return error.value


@pytest.fixture
def final(deliberating, path, jury_member, django_capture_on_commit_callbacks):
    decide(current_decision(path), jury_member, {"BC01": True, "BC02": False, "BC03": True})
    with django_capture_on_commit_callbacks(execute=True):
        services.jury_session_close(session=deliberating, by=jury_member)
    return current_decision(path)


def test_a_final_decision_is_never_updated_nor_deleted(final):
    table = Decision._meta.db_table
    refused(lambda: Decision.objects.filter(pk=final.pk).update(outcome="total"))
    refused(f"UPDATE {table} SET reasons = 'changé' WHERE id = %s", [final.pk])  # noqa: S608
    refused(f"DELETE FROM {table} WHERE id = %s", [final.pk])  # noqa: S608
    # Not current any more without a decision superseding it: refused too.
    refused(lambda: Decision.objects.filter(pk=final.pk).update(is_current=False))
    row = final.block_decisions.first()
    refused(lambda: BlockDecision.objects.filter(pk=row.pk).update(validated=not row.validated))
    refused(lambda: BlockDecision.objects.filter(pk=row.pk).delete())
    vote = CollegeVote.objects.create(decision=final, college="employer")  # inserts are not guarded
    refused(lambda: CollegeVote.objects.filter(pk=vote.pk).update(in_favour=3))
    refused(lambda: CollegeVote.objects.filter(pk=vote.pk).delete())
    final.refresh_from_db()
    assert (final.outcome, final.is_current) == ("partial", True)


def test_the_correction_is_the_one_change_a_final_decision_accepts(final, branch_admin):
    new = services.decision_correct(decision=final, by=branch_admin, reason="Erreur de report sur BC03")
    final.refresh_from_db()
    assert not final.is_current and new.supersedes_id == final.pk and new.is_current
    # Once superseded, nothing more: not even back to current.
    refused(lambda: Decision.objects.filter(pk=final.pk).update(is_current=True))


def test_a_proposed_decision_is_still_edited_and_removed(deliberating, path):
    decision = current_decision(path)
    Decision.objects.filter(pk=decision.pk).update(reasons="brouillon")
    BlockDecision.objects.filter(decision=decision).update(validated=True)


def test_a_certificate_is_never_deleted(final):
    certificate = Certificate.objects.filter(decision=final).first()
    assert certificate is not None
    refused(f"DELETE FROM {Certificate._meta.db_table} WHERE id = %s", [certificate.pk])  # noqa: S608
    refused(lambda: Certificate.objects.filter(pk=certificate.pk).delete())
    assert Certificate.objects.filter(pk=certificate.pk).exists()


def test_a_registered_path_never_changes_version(version, certification):
    other = published_version(certification, blocks=2)
    draft = PathFactory(version=version, state=PathState.DRAFT)
    Path.objects.filter(pk=draft.pk).update(version=other)  # before registration: allowed
    registered = PathFactory(version=version, state=PathState.REGISTERED)
    refused(lambda: Path.objects.filter(pk=registered.pk).update(version=other))
    refused(f"UPDATE {Path._meta.db_table} SET version_id = %s WHERE id = %s", [other.pk, registered.pk])  # noqa: S608
    Path.objects.filter(pk=registered.pk).update(start_date="2026-01-05")  # other fields still move
    registered.refresh_from_db()
    assert registered.version_id == version.pk


def test_a_published_version_is_immutable_except_its_retirement(version):
    table = ReferentialVersion._meta.db_table
    refused(lambda: ReferentialVersion.objects.filter(pk=version.pk).update(summary="réécrit"))
    refused(f"UPDATE {table} SET number = 99 WHERE id = %s", [version.pk])  # noqa: S608
    refused(f"UPDATE {table} SET published_at = now() WHERE id = %s", [version.pk])  # noqa: S608
    refused(f"UPDATE {table} SET state = 'draft' WHERE id = %s", [version.pk])  # noqa: S608
    refused(f"DELETE FROM {table} WHERE id = %s", [version.pk])  # noqa: S608
    ReferentialVersion.objects.filter(pk=version.pk).update(
        state=ReferentialState.RETIRED, retired_at="2026-06-01T00:00Z"
    )
    refused(lambda: ReferentialVersion.objects.filter(pk=version.pk).update(state=ReferentialState.PUBLISHED))
    refused(lambda: ReferentialVersion.objects.filter(pk=version.pk).update(retired_at=None))


def test_the_audit_trail_is_append_only(final):
    entry = AuditEntry.objects.for_object(final).first()
    refused("UPDATE audit_auditentry SET note = 'x' WHERE id = %s", [entry.pk], marker="append-only")
    refused("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk], marker="append-only")


def test_a_refusal_by_the_database_is_a_clear_error_in_the_pages_and_the_api(final, branch_admin, client, monkeypatch):
    error = refused(lambda: Decision.objects.filter(pk=final.pk).update(outcome="total"))
    mapped = integrity_refusal(error)
    assert isinstance(mapped, IntegrityRefused) and mapped.status == 409 and mapped.code == "integrity_final_decision"
    assert integrity_refusal(IntegrityError("duplicate key value violates unique constraint")) is None

    def rewrite(*, decision, **kwargs):
        # A service that would forget the rule (atomic, as every service): the database stops it.
        with transaction.atomic():
            Decision.objects.filter(pk=decision.pk).update(outcome="total")

    monkeypatch.setattr(services, "decision_correct", rewrite)
    client.force_login(branch_admin)
    api = client.post(
        f"/api/v1/jury-decisions/{final.pk}/correct/", {"reason": "test"}, content_type="application/json"
    )
    assert api.status_code == 409
    assert api.json()["code"] == "integrity_final_decision"
    assert "jamais modifiée" in api.json()["message"]
    page = client.post(
        reverse("juries:decision_correct", args=[final.pk]),
        {"reason": "test", **{f"block_{bd.block_id}": "1" for bd in final.block_decisions.all() if not bd.held}},
        follow=True,
    )
    assert page.status_code == 200 and "jamais modifiée" in page.content.decode()
    final.refresh_from_db()
    assert final.outcome == "partial"
