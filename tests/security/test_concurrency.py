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


def test_twenty_identical_api_calls_at_once_one_200_the_others_409_or_400_never_500(make_path, evaluator, live_server):
    from rest_framework.authtoken.models import Token

    path_id = make_path(PathState.REGISTERED).pk
    token = Token.objects.create(user=evaluator).key
    url = f"{live_server.url}/api/v1/paths/{path_id}/transitions/start_positioning/"

    def call(i):
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 live server)
            url,
            data=b"{}",
            method="POST",
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (live server)
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    results = run_in_threads(THREADS, call)
    statuses = sorted(r[0] for r in results)
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 400, 409}, statuses
    for status, body in results:
        if status == 409:
            assert body["code"] == "conflict"
        elif status == 400:  # read after the winner committed: the rule names the new state
            assert body["code"] == "transition_not_allowed", body
    assert Path.objects.get(pk=path_id).state == PathState.POSITIONING


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
