import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.core.cache import cache

from tests.conftest import ARTIFACTS, ROOT, _database_url_for
from tests.factories.certificates import award_setup, closed_session, final_decision


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def award(branch, jury_member):
    """An RNCP CQP of ``branch``, a closed session presided by ``jury_member``, a TOTAL decision."""
    certification, version = award_setup(branch)
    session = closed_session(certification, president=jury_member)
    decision = final_decision(session, version=version)
    return decision


@pytest.fixture
def holder_user(award, candidate_user):
    """The candidate persona holds the award."""
    candidate = award.dossier.path.candidate
    candidate.user = candidate_user
    candidate.save(update_fields=["user"])
    return candidate_user


@pytest.fixture
def issued(award, django_capture_on_commit_callbacks):
    """The award's certificate, rendered (tasks run in-process)."""
    from juries.certificates import services

    with django_capture_on_commit_callbacks(execute=True):
        [certificate] = services.certificate_issue_for_decision(decision=award)
    certificate.refresh_from_db()
    return certificate


# --- real Celery workers on a private queue ------------------------------------------------------


class WorkerPool:
    """Starts Celery workers consuming a queue of their own (so the suite's shared worker does
    not take these tasks) with a private MEDIA_ROOT; the test can SIGKILL them."""

    def __init__(self, media_root):
        from django.db import connection

        self.queue = f"certificates-test-{uuid.uuid4().hex[:8]}"
        self.env = dict(os.environ)
        self.env["DATABASE_URL"] = _database_url_for(connection.settings_dict["NAME"])
        self.env["DEBUG"] = "true"
        self.env["MEDIA_ROOT"] = str(media_root)
        self.processes: list[subprocess.Popen] = []
        self.logs = []

    def start(self, concurrency: int = 2) -> subprocess.Popen:
        from cqp_portal.celery import app

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = f"cert-{uuid.uuid4().hex[:8]}@%h"
        log_path = ARTIFACTS / f"certificates-worker-{len(self.processes)}.log"
        log = log_path.open("w")
        self.logs.append(log)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cqp_portal",
                "worker",
                "-l",
                "INFO",
                "-n",
                name,
                f"--concurrency={concurrency}",
                "-Q",
                self.queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        deadline = time.monotonic() + 60
        hostname = name.replace("%h", os.uname().nodename)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"Celery worker exited early:\n{log_path.read_text()[-3000:]}")
            if app.control.ping(destination=[hostname], timeout=0.5):
                return process
        pytest.fail("Celery worker did not answer within 60 s")

    def kill(self, process) -> None:
        """SIGKILL the worker and its pool children at once (a machine losing power)."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        for log in self.logs:
            log.close()


def _rebuild_router(app):
    # Celery caches the parsed routes and the router: both must follow the new setting.
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()


@pytest.fixture
def certificate_workers(tmp_path, django_db_blocker):
    from cqp_portal.celery import app

    if not os.environ.get("CELERY_BROKER_URL"):
        pytest.fail("CELERY_BROKER_URL is not set: run the suite with `make test`, which starts Redis")
    pool = WorkerPool(tmp_path / "worker-media")
    previous = app.conf.task_routes
    # The test process (producer) sends render tasks to the private queue.
    app.conf.task_routes = {"certificates.render": {"queue": pool.queue}}
    _rebuild_router(app)
    yield pool
    app.conf.task_routes = previous
    _rebuild_router(app)
    pool.stop()
