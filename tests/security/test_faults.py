"""Faults on the real services of `make test`: PostgreSQL restarted under traffic, Redis
stopped while work is queued. Each test prints what it did (run with -s to see it live).

The PostgreSQL server is the one the whole suite shares: the test restores it in a finally
block and waits until it accepts connections again, even when an assertion fails.
"""

import logging
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from candidates.models import Path, PathState
from cqp_portal.audit.models import AuditEntry
from tests.factories.candidates import CandidateFactory, PathFactory
from tests.factories.certifications import CertificationFactory, published_version

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def say(capsys):
    """Print live, even under pytest's output capture: `make test` shows what the faults did."""

    def say(message: str) -> None:
        with capsys.disabled():
            print(f"\n[faults] {message}", end="", flush=True)

    return say


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_ctl(*args: str) -> subprocess.CompletedProcess:
    pg_bin = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", f"{pg_bin}/pg_ctl", *args], capture_output=True, text=True, timeout=90
    )


def _pg_start(work: str, port: str) -> None:
    # Same options as scripts/with-services.
    options = (
        f"-p {port} -k {work} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c max_connections=200"
    )
    result = _pg_ctl("-D", f"{work}/pg", "-l", f"{work}/pg.log", "-w", "-t", "60", "-o", options, "start")
    if result.returncode != 0 and "another server might be running" not in result.stderr:
        raise RuntimeError(f"pg_ctl start failed: {result.stdout} {result.stderr}")


def _pg_accepts_connections(port: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = _pg_ctl("-D", f"{os.environ['CQP_SERVICES_DIR']}/pg", "status")
        if status.returncode == 0:
            try:
                with socket.create_connection(("127.0.0.1", int(port)), timeout=1):
                    connections.close_all()
                    with connections["default"].cursor() as cursor:
                        cursor.execute("SELECT 1")
                    return True
            except Exception:
                connections.close_all()
        time.sleep(0.3)
    return False


@pytest.fixture
def pg_service():
    work, port = os.environ.get("CQP_SERVICES_DIR"), os.environ.get("PG_PORT")
    if not work or not port or not os.path.isdir(f"{work}/pg"):
        pytest.fail("needs the PostgreSQL of `make test` (CQP_SERVICES_DIR, PG_PORT): run the suite with `make test`")
    return work, port


def _get(url: str, headers: dict) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http://127.0.0.1 live server)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (127.0.0.1 live server)
            return response.status
    except urllib.error.HTTPError as error:
        if error.code == 503:
            assert error.headers.get("Retry-After"), "a 503 without Retry-After"
        return error.code


def test_restarting_postgresql_under_traffic_gives_503s_then_recovers_with_nothing_lost(
    pg_service, live_server, candidate_user, branch, say
):
    work, port = pg_service
    certification = CertificationFactory(branches=[branch])
    candidate = CandidateFactory(user=candidate_user, email=candidate_user.email)
    committed = PathFactory(version=published_version(certification, blocks=2), candidate=candidate)
    token = Client()
    token.force_login(candidate_user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={token.cookies[settings.SESSION_COOKIE_NAME].value}"
    from rest_framework.authtoken.models import Token

    api_token = Token.objects.create(user=candidate_user).key
    targets = {
        "page /parcours/ (session cookie)": (f"{live_server.url}/parcours/", {"Cookie": cookie}),
        "API /api/v1/paths/ (token)": (f"{live_server.url}/api/v1/paths/", {"Authorization": f"Token {api_token}"}),
    }
    for label, (url, headers) in targets.items():
        assert _get(url, headers) == 200, label

    seen: dict[str, list[int]] = {label: [] for label in targets}
    stop = threading.Event()

    def traffic():
        while not stop.is_set():
            for label, (url, headers) in targets.items():
                try:
                    seen[label].append(_get(url, headers))
                except Exception as exc:  # a reset connection is not an HTTP answer
                    seen[label].append(repr(exc))
            time.sleep(0.05)

    thread = threading.Thread(target=traffic, daemon=True)
    thread.start()
    time.sleep(0.5)
    connections.close_all()
    try:
        say(f"stopping PostgreSQL (port {port}) with pg_ctl -m fast while two clients send requests")
        stopped = _pg_ctl("-D", f"{work}/pg", "-m", "fast", "-w", "stop")
        assert stopped.returncode == 0, stopped.stderr
        time.sleep(2)
        during = {label: list(statuses) for label, statuses in seen.items()}
        say("PostgreSQL is down for 2 s; starting it again with the options of scripts/with-services")
    finally:
        _pg_start(work, port)
        assert _pg_accepts_connections(port), "PostgreSQL did not come back within 60 s"
        say("PostgreSQL accepts connections again")
    time.sleep(1.5)
    stop.set()
    thread.join(timeout=30)

    for label, statuses in seen.items():
        counts = {s: statuses.count(s) for s in set(statuses)}
        say(f"{label}: {len(statuses)} requests, answers {counts}")
        assert 500 not in statuses, f"{label}: a 500 during the outage"
        assert all(s in (200, 503) for s in statuses), f"{label}: unexpected answers {counts}"
        assert 503 in during[label] or 503 in statuses, f"{label}: never saw the outage"
        assert statuses[-1] == 200, f"{label}: did not recover by itself ({statuses[-5:]})"
    # Committed before the restart, still there after it.
    assert Path.objects.filter(pk=committed.pk).exists()
    say("the path committed before the restart is still there")


# --- Redis -----------------------------------------------------------------------------------


class OwnRedis:
    """A throw-away redis-server this test starts and stops (the suite's shared one is left alone)."""

    def __init__(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def queued(self, queue: str = "celery") -> int:
        import redis

        return redis.Redis.from_url(self.url).llen(queue)


@pytest.fixture
def own_broker(monkeypatch):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed (make test installs it)")
    from cqp_portal.celery import app

    broker = OwnRedis()
    broker.start()
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", broker.url)
    app.conf.broker_url = broker.url
    app.conf.task_always_eager = False
    _reset_pools(app)
    try:
        yield broker
    finally:
        broker.stop()
        app.conf.broker_url, app.conf.task_always_eager = previous
        _reset_pools(app)


def _reset_pools(app):
    # Forget the pools so the next publish connects to the current broker_url (closing them
    # would close kombu's shared pool for that URL for the rest of the suite).
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def draft_path(branch, candidate_user):
    certification = CertificationFactory(branches=[branch])
    candidate = CandidateFactory(user=candidate_user, email=candidate_user.email)
    return PathFactory(version=published_version(certification, blocks=2), candidate=candidate, state=PathState.DRAFT)


def test_a_transition_while_redis_is_down_is_committed_and_the_lost_enqueue_is_logged(
    own_broker, draft_path, candidate_user, caplog, say
):
    client = Client(raise_request_exception=False)
    client.force_login(candidate_user)
    say(f"Redis broker of this test on port {own_broker.port}: stopping it")
    own_broker.stop()
    with caplog.at_level(logging.ERROR, logger="cqp_portal.tasks"):
        started = time.monotonic()
        response = client.post(f"/dossiers/{draft_path.pk}/etape/register/")
        say(
            f"candidate registers the path while Redis is down: HTTP {response.status_code}"
            f" in {time.monotonic() - started:.1f} s"
        )
    assert response.status_code == 302, response.status_code
    draft_path.refresh_from_db()
    assert draft_path.state == PathState.REGISTERED
    assert AuditEntry.objects.for_object(draft_path).filter(to_state=PathState.REGISTERED).exists()
    lost = [r for r in caplog.records if "not queued" in r.getMessage()]
    assert lost, "the failed enqueue was not logged"
    assert "candidates.notify_path_event" in lost[0].getMessage() or "notify_path_event" in lost[0].getMessage()
    say(f"committed (state registered, audit row written); logged: {lost[0].getMessage()!r}")

    say("starting Redis again: the next transition queues its task normally")
    own_broker.start()
    _reset_pools(__import__("cqp_portal.celery", fromlist=["app"]).app)
    other = PathFactory(version=draft_path.version, candidate=draft_path.candidate, state=PathState.DRAFT)
    response = client.post(f"/dossiers/{other.pk}/etape/register/")
    assert response.status_code == 302
    assert own_broker.queued() == 1
    say("1 task waiting in Redis after the restart")


@pytest.fixture
def own_worker(own_broker, tmp_path, settings):
    """A real Celery worker on this test's broker and the test database (started and stopped here)."""
    import signal
    import sys
    import uuid

    from tests.conftest import ARTIFACTS, ROOT, _database_url_for

    env = dict(os.environ)
    env.update(
        CELERY_BROKER_URL=own_broker.url,
        CELERY_RESULT_BACKEND=own_broker.url,
        DATABASE_URL=_database_url_for(connections["default"].settings_dict["NAME"]),
        DEBUG="true",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "faults-worker.log"
    log = log_path.open("w")
    name = f"faults-{uuid.uuid4().hex[:8]}@%h"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "cqp_portal", "worker", "-l", "INFO", "-n", name),
            *("--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    from cqp_portal.celery import app

    hostname = name.replace("%h", os.uname().nodename)
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[hostname], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"Celery worker did not start:\n{log_path.read_text()[-3000:]}")
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_certificates_issued_while_redis_is_down_are_rendered_once_it_is_back(
    own_broker, own_worker, branch, jury_member, say, caplog
):
    """The certificates sweeper (juries/certificates) with a real worker: nothing lost."""
    certificate_services = pytest.importorskip("juries.certificates.services")
    from cqp_portal.celery import app
    from juries.certificates.models import Certificate, CertificateState
    from juries.certificates.tasks import sweep_pending
    from tests.factories.certificates import award_setup, closed_session, final_decision

    certification, version = award_setup(branch)
    session = closed_session(certification, president=jury_member)
    decisions = [final_decision(session, version=version) for _ in range(3)]
    say(f"worker up on the test's Redis (port {own_broker.port}); stopping Redis")
    own_broker.stop()
    with caplog.at_level(logging.ERROR):
        for decision in decisions:
            certificate_services.certificate_issue_for_decision(decision=decision)  # commits; enqueue fails
    pending = Certificate.objects.filter(decision__in=decisions)
    assert pending.count() == 3 and set(pending.values_list("state", flat=True)) == {CertificateState.PENDING}
    say("3 awards committed while Redis is down: 3 certificates pending, their render tasks not queued")
    # Issue 10: Redis stays down for a minute (REDIS_OUTAGE_SECONDS shortens it when developing).
    outage = int(os.environ.get("REDIS_OUTAGE_SECONDS", "60"))
    say(f"keeping Redis down for {outage} s")
    time.sleep(max(outage - 1, 0))
    own_broker.start()
    _reset_pools(app)
    say("Redis is back; the beat's sweeper task runs (as every 5 minutes) through the broker")
    sweep_pending.delay(0)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if Certificate.objects.filter(decision__in=decisions, state=CertificateState.ISSUED).count() == 3:
            break
        time.sleep(1)
    issued = Certificate.objects.filter(decision__in=decisions)
    states = sorted(issued.values_list("state", flat=True))
    say(f"after the sweep: {states}")
    assert states == [CertificateState.ISSUED] * 3
    assert issued.values("number").distinct().count() == 3
