"""Two web nodes and two Celery workers on the same PostgreSQL, Redis and S3 bucket: the lifecycle
goes through both nodes alternately, one node and one worker are killed (SIGKILL) in the middle,
and nothing is lost or duplicated. Sessions, login throttling and caches live in Redis (CACHE_URL),
files in the bucket, locks in PostgreSQL: no node keeps state of its own.

Node A and node B run scripts/start-web (gunicorn, DEBUG off, the image's static files); the
workers consume a broker database of their own so that the suite's worker takes none of their tasks.
"""

import hashlib
import os
import re
import time

import pytest
import redis
import requests
from django.contrib.auth.hashers import Argon2PasswordHasher

from candidates.models import Evidence, PathState
from cqp_portal.audit.models import AuditEntry
from juries import services as jury_services
from juries.certificates.models import Certificate, CertificateState
from tests.factories.candidates import CandidateFactory, PathFactory
from tests.factories.certifications import CertificationFactory, RegistrationFactory, published_version
from tests.factories.juries import JurySessionFactory, ready_path, seat_jury
from tests.juries.conftest import current_decision, decide
from tests.processes import WebNode, build_production_static

pytestmark = [pytest.mark.scaleout, pytest.mark.django_db(transaction=True)]

AWARDS = 16
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "password-for-tests"


class Browser:
    """One person's cookies, sent to whichever node the load balancer picks (cookies are kept
    whatever their Secure flag: TLS would end at the load balancer)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, node, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if method != "GET" and "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        response = requests.request(
            method, node.url + path, cookies=self.cookies, headers=headers, allow_redirects=False, timeout=30, **kwargs
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def log_in(self, node, email: str, password: str = PASSWORD) -> requests.Response:
        page = self.request(node, "GET", "/connexion/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return self.request(
            node, "POST", "/connexion/", data={"csrfmiddlewaretoken": token, "username": email, "password": password}
        )


@pytest.fixture
def isolated_broker(monkeypatch):
    """Redis databases of this test: 5 for the broker of the nodes and workers, 6 for their cache."""
    from cqp_portal.celery import app

    base = f"redis://127.0.0.1:{os.environ['REDIS_PORT']}"
    for db in (5, 6):
        redis.Redis.from_url(f"{base}/{db}").flushdb()
    monkeypatch.setenv("CELERY_BROKER_URL", f"{base}/5")
    monkeypatch.setenv("CELERY_RESULT_BACKEND", f"{base}/5")
    monkeypatch.setenv("CACHE_URL", f"{base}/6")
    previous = app.conf.broker_url
    app.conf.broker_url = f"{base}/5"  # the test process pings the workers through it
    _reset_pools(app)
    yield
    app.conf.broker_url = previous
    _reset_pools(app)


@pytest.fixture
def cluster(isolated_broker, bucket, tmp_path):
    from tests.certificates.conftest import WorkerPool

    static_root = build_production_static()  # shared with tests/foundation/test_production_image.py
    nodes = [WebNode(static_root=static_root, name=name, workers=1, **bucket.env()) for name in ("a", "b")]
    workers = WorkerPool(tmp_path / "unused-local-media")
    workers.queue = "celery"  # the queue the nodes send to, on this test's broker
    workers.env.update(bucket.env())
    try:
        for node in nodes:
            node.start()
        workers.start(concurrency=1)
        workers.start(concurrency=1)
        yield nodes, workers
    finally:
        for node in nodes:
            node.stop()
        workers.stop()


@pytest.fixture
def lifecycle(branch, branch_admin, jury_member, candidate_user, other_candidate_user, evaluator):
    """A deliberating session with AWARDS dossiers decided in full, presided by ``jury_member``,
    and the candidate persona's path in course (for an evidence upload)."""
    certification = CertificationFactory(branches=[branch], code="cqp-deux-noeuds", title="CQP Deux nœuds")
    RegistrationFactory(certification=certification)
    version = published_version(certification, blocks=2)
    session = JurySessionFactory(certifications=[certification])
    seat_jury(session, jury_member)
    paths = [ready_path(version, outcomes={"BC01": "acquired", "BC02": "acquired"}) for _ in range(AWARDS)]
    for path in paths:
        jury_services.dossier_add(session=session, path=path, by=branch_admin)
    jury_services.jury_session_convene(session=session, by=branch_admin)
    jury_services.jury_session_start_deliberation(session=session, by=jury_member)
    for path in paths:
        decide(current_decision(path), jury_member, {"BC01": True, "BC02": True})
    # The nodes check passwords with the production hashers (the test process uses a fast one).
    hashed = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    for user in (branch_admin, jury_member, candidate_user, other_candidate_user, evaluator):
        type(user).objects.filter(pk=user.pk).update(password=hashed)
    own_path = PathFactory(version=version, candidate=CandidateFactory(user=candidate_user), state=PathState.IN_COURSE)
    CandidateFactory(user=other_candidate_user)
    return session, own_path


def _reset_pools(app):
    # Forget the pools so that the next publish or ping uses the current broker_url (as
    # tests/security/test_faults.py does).
    app._pool = None
    app.amqp._producer_pool = None


def worker_renders(workers) -> list[int]:
    """Certificates rendered per worker, read from each worker's log."""
    for log in workers.logs:
        log.flush()
    counts = []
    for log in workers.logs:
        with open(log.name) as text:
            counts.append(len(re.findall(r"Task certificates\.render\[[^]]+\] succeeded", text.read())))
    return counts


def test_two_nodes_two_workers_one_of_each_killed_nothing_lost_or_duplicated(
    cluster, lifecycle, bucket, candidate_user, other_candidate_user, evaluator, jury_member, branch_admin, say
):
    (node_a, node_b), workers = cluster
    session, own_path = lifecycle
    candidate, outsider, jury = Browser(), Browser(), Browser()

    # A session opened on node A is valid on node B (sessions in Redis + PostgreSQL).
    assert candidate.log_in(node_a, candidate_user.email).status_code == 302
    assert candidate.request(node_b, "GET", "/parcours/").status_code == 200
    # Upload on A, download on B; another candidate gets a 404 on either node.
    upload = candidate.request(
        node_a,
        "POST",
        f"/parcours/{own_path.pk}/pieces/",
        files={"file": ("cv.pdf", PDF)},
        data={"kind": "attestation"},
    )
    assert upload.status_code == 302, upload.text[:500]
    evidence = Evidence.objects.get(path=own_path)
    download = candidate.request(node_b, "GET", f"/pieces/{evidence.pk}/")
    assert download.status_code == 200 and download.content == PDF
    assert outsider.log_in(node_b, other_candidate_user.email).status_code == 302
    assert outsider.request(node_a, "GET", f"/pieces/{evidence.pk}/").status_code == 404
    say("upload on node A, download on node B, outsider refused: ok")

    # Login throttling counts failures of both nodes together (5 per account).
    attacker = Browser()
    for node in (node_a, node_b, node_a, node_b, node_a):
        assert attacker.log_in(node, evaluator.email, "wrong-password").status_code == 200
    assert attacker.log_in(node_b, evaluator.email).status_code == 200, "the 6th attempt must be refused"
    say("5 failed logins spread over both nodes: the right password is refused until the cool-off ends")

    # The president closes the session through the API of node A with a token obtained on node B.
    token = requests.post(
        f"{node_b.url}/api/v1/auth/token/", json={"email": jury_member.email, "password": PASSWORD}, timeout=30
    ).json()["token"]
    closed = jury.request(
        node_a,
        "POST",
        f"/api/v1/jury-sessions/{session.pk}/transitions/close/",
        headers={"Authorization": f"Token {token}"},
    )
    assert closed.status_code == 200, closed.text[:500]

    # Both workers render; then one worker and node A die (SIGKILL) in the middle of the batch.
    deadline = time.monotonic() + 120
    while not all(worker_renders(workers)):
        assert time.monotonic() < deadline, f"both workers did not render: {worker_renders(workers)}"
        time.sleep(0.05)
    workers.kill(workers.processes[0])
    node_a.kill()
    issued_at_kill = Certificate.objects.filter(state=CertificateState.ISSUED).count()
    say(f"killed worker 1 and node A after {issued_at_kill} of {AWARDS} certificates ({worker_renders(workers)})")
    assert issued_at_kill < AWARDS, "the batch finished before the kill: nothing was tested"

    # The session cookie from node A still works on node B; the president (a branch admin could
    # too) queues the pending certificates again from node B, as the sweeper would.
    assert candidate.request(node_b, "GET", "/parcours/").status_code == 200
    assert jury.log_in(node_b, jury_member.email).status_code == 302
    jury.request(node_b, "GET", "/parcours/")
    retry = jury.request(node_b, "POST", f"/certificats/session/{session.pk}/relancer/", data={"next": "/"})
    assert retry.status_code == 302, retry.text[:500]
    deadline = time.monotonic() + 120
    while Certificate.objects.filter(state=CertificateState.ISSUED).count() < AWARDS:
        assert time.monotonic() < deadline, "the surviving worker did not finish the batch"
        time.sleep(0.3)

    certificates = list(Certificate.objects.order_by("sequence"))
    assert len(certificates) == AWARDS
    assert [c.sequence for c in certificates] == list(range(1, AWARDS + 1))  # no gap, no duplicate
    issue_rows = AuditEntry.objects.filter(action="certificate.issue").values_list("object_id", flat=True)
    assert sorted(map(int, issue_rows)) == sorted(c.pk for c in certificates)  # issued once each
    stored = bucket.objects()
    for certificate in certificates:
        assert certificate.pdf.name in stored
        assert hashlib.sha256(bucket.read(certificate.pdf.name)).hexdigest() == certificate.sha256
    assert len([k for k in stored if k.endswith(".pdf") and k.startswith("certificates/")]) == AWARDS
    assert Evidence.objects.count() == 1 and evidence.file.name in stored

    # A branch administrator downloads a certificate, whichever worker rendered it, from node B.
    admin = Browser()
    assert admin.log_in(node_b, branch_admin.email).status_code == 302
    pdf = admin.request(node_b, "GET", f"/certificats/{certificates[0].pk}/pdf/")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.content).hexdigest() == certificates[0].sha256
    say(f"all {AWARDS} certificates issued once; render tasks run per worker {worker_renders(workers)}")
