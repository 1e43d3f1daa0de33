"""Integration with real Celery workers on Redis: a batch of 50 awards, and a worker killed
in the middle of it (design.md: acks_late + reject_on_worker_lost, a sweeper for the rest)."""

import hashlib
import time
from pathlib import Path

import pytest

from cqp_portal.audit.models import AuditEntry
from juries.certificates import services
from juries.certificates.models import Certificate, CertificateState
from tests.factories.certificates import award_setup, closed_session, final_decision

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

BATCH = 50  # issue 6: a session of 50 awards
KILL_BATCH = 200  # issue 10: kill -9 a worker during a batch of 200 certificates


def awards(branch, count: int = BATCH):
    certification, version = award_setup(branch)
    session = closed_session(certification)
    for _ in range(count):
        final_decision(session, version=version)
    return session


def issued_count() -> int:
    return Certificate.objects.filter(state=CertificateState.ISSUED).count()


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what} ({issued_count()} issued)")


def assert_every_certificate_issued_once(media_root: Path, count: int = BATCH):
    certificates = list(Certificate.objects.order_by("sequence"))
    assert len(certificates) == count
    assert {c.state for c in certificates} == {CertificateState.ISSUED}
    assert [c.sequence for c in certificates] == list(range(1, count + 1))  # no gap
    assert len({c.number for c in certificates}) == count  # no duplicate
    issue_rows = AuditEntry.objects.filter(action="certificate.issue").values_list("object_id", flat=True)
    assert sorted(issue_rows, key=int) == sorted((str(c.pk) for c in certificates), key=int)  # issued once each
    for certificate in certificates:
        content = (media_root / certificate.pdf.name).read_bytes()
        assert content.startswith(b"%PDF")
        assert hashlib.sha256(content).hexdigest() == certificate.sha256


def test_a_batch_of_fifty_awards_is_issued_by_real_workers(branch, certificate_workers):
    session = awards(branch)
    certificate_workers.start(concurrency=2)
    services.certificates_issue_for_session(session=session)  # tasks leave after this commit
    wait_for(lambda: issued_count() == BATCH, 240, "the batch")
    assert_every_certificate_issued_once(Path(certificate_workers.env["MEDIA_ROOT"]))


def test_killing_the_worker_mid_batch_of_200_still_issues_each_certificate_once(branch, certificate_workers):
    session = awards(branch, KILL_BATCH)
    first = certificate_workers.start(concurrency=2)
    services.certificates_issue_for_session(session=session)
    wait_for(lambda: issued_count() >= 3, 120, "the first certificates")
    certificate_workers.kill(first)  # SIGKILL the main process and its pool children
    at_kill = issued_count()
    assert at_kill < KILL_BATCH, "the batch finished before the kill: nothing was tested"
    print(f"killed the worker with SIGKILL after {at_kill} of {KILL_BATCH} certificates; starting another")
    certificate_workers.start(concurrency=2)
    # Tasks the dead worker had taken stay unacknowledged in Redis until the visibility
    # timeout (10 min): the sweeper queues every pending certificate again right away.
    services.certificates_requeue_pending(older_than_minutes=0)
    wait_for(lambda: issued_count() == KILL_BATCH, 480, "the rest of the batch")
    assert_every_certificate_issued_once(Path(certificate_workers.env["MEDIA_ROOT"]), KILL_BATCH)
