"""Concurrency on PostgreSQL with real threads (each its own connection)."""

import datetime
import json
import threading
import urllib.error
import urllib.request

import pytest
from django.db import connection, connections

from candidates import services
from candidates.models import BlockAssessment, Path, PathState
from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import Conflict
from tests.factories.candidates import CandidateFactory, PathFactory, plan_blocks
from tests.factories.certifications import (
    CertificationFactory,
    RegistrationFactory,
    habilitate_evaluator,
    habilitate_provider,
    published_version,
)

pytestmark = [pytest.mark.django_db(transaction=True)]
THREADS = 20


@pytest.fixture
def make_path(branch, candidate_user, evaluator, provider):
    certification = CertificationFactory(branches=[branch])
    RegistrationFactory(certification=certification)
    version = published_version(certification, blocks=4)
    habilitate_evaluator(certification, evaluator)
    habilitate_provider(certification, provider)
    candidate = CandidateFactory(user=candidate_user, email=candidate_user.email)

    def make(state):
        path = PathFactory(
            version=version, candidate=candidate, state=state, evaluator=evaluator, training_provider=provider
        )
        if state == PathState.IN_EVALUATION:
            plan_blocks(path)
        return path

    return make


def run_in_threads(count, target):
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = target(i)
        except Exception as exc:  # recorded, asserted by the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_identical_transitions_at_once_one_wins_nineteen_conflicts(make_path, evaluator):
    assert connection.vendor == "postgresql"
    path_id = make_path(PathState.REGISTERED).pk
    copies = [Path.objects.get(pk=path_id) for _ in range(THREADS)]  # all read "registered"

    results = run_in_threads(THREADS, lambda i: services.path_start_positioning(path=copies[i], by=evaluator))

    wins = [r for r in results if isinstance(r, Path)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    others = [r for r in results if not isinstance(r, Path | Conflict)]
    assert not others, others
    assert (len(wins), len(conflicts)) == (1, THREADS - 1)
    path = Path.objects.get(pk=path_id)
    assert path.state == PathState.POSITIONING
    # One transition, one audit row, one set of positioning rows.
    assert AuditEntry.objects.for_object(path).filter(to_state=PathState.POSITIONING).count() == 1
    assert path.path_blocks.count() == 4


def api_calls_at_once(live_server, user, method: str, url: str, body: dict | None = None, count: int = THREADS):
    """``count`` identical API calls released together (threads of the live server: each its own
    PostgreSQL connection): the list of (status, body)."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=user)[0].key

    def call(i):
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 live server)
            f"{live_server.url}{url}",
            data=json.dumps(body or {}).encode(),
            method=method,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (live server)
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    return run_in_threads(count, call)


def assert_one_wins_the_others_conflict(results):
    """1 × 200 and 19 × 409 in the one error shape, whether a loser read the row before the
    winner committed (lost race) or after (the step is no longer possible): same answer."""
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(status for status, _body in results)
    assert statuses == [200] + [409] * (len(results) - 1), [(s, b.get("code")) for s, b in results]
    for status, body in results:
        if status == 409:
            assert set(body) == {"code", "message", "fields"} and body["code"] == "conflict", body
            assert body["message"] and body["fields"] == {}


def test_twenty_identical_path_transitions_one_200_nineteen_409(make_path, evaluator, live_server):
    path_id = make_path(PathState.REGISTERED).pk
    results = api_calls_at_once(
        live_server, evaluator, "POST", f"/api/v1/paths/{path_id}/transitions/start_positioning/"
    )
    assert_one_wins_the_others_conflict(results)
    path = Path.objects.get(pk=path_id)
    assert path.state == PathState.POSITIONING
    assert AuditEntry.objects.for_object(path).filter(to_state=PathState.POSITIONING).count() == 1


def test_twenty_identical_funding_approvals_one_200_nineteen_409(world, live_server):
    line = world.funding_line
    results = api_calls_at_once(
        live_server, world.users["funder_officer"], "POST", f"/api/v1/funding-lines/{line.pk}/transitions/approve/"
    )
    assert_one_wins_the_others_conflict(results)
    line.refresh_from_db()
    assert line.state == "approved"
    assert AuditEntry.objects.for_object(line).filter(to_state="approved").count() == 1


def test_twenty_identical_certificate_revocations_one_200_nineteen_409(world, live_server):
    certificate = world.certificate
    body = {"reason": "Erreur matérielle constatée sur le document"}
    results = api_calls_at_once(
        live_server, world.users["staff"], "POST", f"/api/v1/certificates/{certificate.pk}/revoke/", body
    )
    assert_one_wins_the_others_conflict(results)
    certificate.refresh_from_db()
    assert certificate.state == "revoked"
    assert AuditEntry.objects.for_object(certificate).filter(to_state="revoked").count() == 1


def test_twenty_identical_session_transitions_one_200_nineteen_409(world, live_server):
    session = world.session
    results = api_calls_at_once(
        live_server, world.users["admin_a"], "POST", f"/api/v1/jury-sessions/{session.pk}/transitions/convene/"
    )
    assert_one_wins_the_others_conflict(results)
    session.refresh_from_db()
    assert session.state == "convened"


def test_twenty_identical_decision_saves_one_200_nineteen_409(world, live_server):
    from juries.models import JurySession, SessionState

    JurySession.objects.filter(pk=world.session.pk).update(state=SessionState.DELIBERATING)
    decision = world.decision
    body = {"row_version": decision.row_version, "reasons": "Dossier complet et probant."}
    results = api_calls_at_once(
        live_server, world.users["jury_a"], "PATCH", f"/api/v1/jury-decisions/{decision.pk}/", body
    )
    assert_one_wins_the_others_conflict(results)
    decision.refresh_from_db()
    assert decision.row_version == body["row_version"] + 1


def test_a_row_lock_held_elsewhere_is_a_409_not_a_503(make_path, evaluator, live_server, monkeypatch):
    """A lock wait that gives up (PostgreSQL lock_timeout) is a conflict to retry, never the
    503 'database unavailable' answer."""
    import psycopg2

    path_id = make_path(PathState.REGISTERED).pk
    # The live server's connections give up waiting for a lock after 200 ms.
    options = dict(connections.settings["default"].get("OPTIONS", {}))
    options["options"] = "-c lock_timeout=200"
    monkeypatch.setitem(connections.settings["default"], "OPTIONS", options)
    params = connection.get_connection_params()
    params.pop("options", None)
    holder = psycopg2.connect(**params)
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN; SELECT id FROM candidates_path WHERE id = %s FOR UPDATE", [path_id])
            [(status, body)] = api_calls_at_once(
                live_server, evaluator, "POST", f"/api/v1/paths/{path_id}/transitions/start_positioning/", count=1
            )
    finally:
        holder.rollback()
        holder.close()
    assert (status, body["code"]) == (409, "conflict"), body
    assert Path.objects.get(pk=path_id).state == PathState.REGISTERED


def test_concurrent_assessments_on_different_blocks_of_one_path_are_all_kept(make_path, evaluator):
    path = make_path(PathState.IN_EVALUATION)
    blocks = list(path.version.blocks.order_by("order"))
    copies = [Path.objects.get(pk=path.pk) for _ in blocks]

    def assess(i):
        block = blocks[i]
        return services.assessment_record(
            path=copies[i],
            block=block,
            by=evaluator,
            modality=block.modalities.first(),
            assessed_on=datetime.date.today(),
            outcome="acquired",
            criterion_results={c.pk: True for c in block.criteria.all()},
        )

    results = run_in_threads(len(blocks), assess)
    assert all(isinstance(r, BlockAssessment) for r in results), results
    assert set(BlockAssessment.objects.filter(path=path).values_list("block_id", flat=True)) == {b.pk for b in blocks}
