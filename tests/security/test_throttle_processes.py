"""Throttles hold across web processes (issue 16, point 2), in the production profile
(``DEBUG=false``, ``MFA_REQUIRED=true``, gunicorn, Redis as ``CACHE_URL``): the documented limit
of 5 failed attempts per account holds exactly, whichever process answers, one request after
the other or 20 at once. Without ``CACHE_URL`` the production profile does not start
(tests/foundation/test_settings.py)."""

import json
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.db import connection

from cqp_portal.accounts.throttle import MAX_FAILURES_PER_ACCOUNT
from tests.conftest import ARTIFACTS, ROOT, _database_url_for
from tests.factories.accounts import TEST_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True)]
CACHE_DB = 5  # a Redis database of its own on the suite's server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env() -> dict:
    if not os.environ.get("REDIS_PORT"):
        pytest.fail("REDIS_PORT is not set: run the suite with `make test` (scripts/with-services)")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DEBUG="false",
        MFA_REQUIRED="true",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="http://127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        CACHE_URL=f"redis://127.0.0.1:{os.environ['REDIS_PORT']}/{CACHE_DB}",
        DATABASE_URL=_database_url_for(connection.settings_dict["NAME"]),
        DATABASE_CONN_MAX_AGE="0",
        LOG_LEVEL="WARNING",
    )
    return env


class Gunicorn:
    def __init__(self, env: dict, workers: int, name: str):
        self.port = free_port()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / f"throttle-{name}.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "cqp_portal.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/livez", timeout=2):  # noqa: S310 (127.0.0.1)
                    return
            except OSError:
                time.sleep(0.2)
        pytest.fail("gunicorn did not answer within 60 s")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def servers():
    import redis

    redis.Redis(port=int(os.environ.get("REDIS_PORT", "6379")), db=CACHE_DB).flushdb()
    env = production_env()
    started = []

    def start(workers: int, name: str) -> Gunicorn:
        server = Gunicorn(env, workers, name)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def post_token(base: str, email: str, password: str, **extra) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 (127.0.0.1)
        f"{base}/api/v1/auth/token/",
        data=json.dumps({"email": email, "password": password, **extra}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Accept-Language": "fr"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (127.0.0.1)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_the_limit_of_five_holds_exactly_across_two_server_processes(servers, evaluator):
    with_production_hash(evaluator)
    first, second = servers(1, "a"), servers(1, "b")
    first.wait()
    second.wait()
    statuses = []
    for attempt in range(MAX_FAILURES_PER_ACCOUNT):
        base = (first, second)[attempt % 2].url  # alternate: each process sees only part of them
        statuses.append(post_token(base, evaluator.email, "wrong-password")[0])
    assert statuses == [400] * MAX_FAILURES_PER_ACCOUNT
    # The sixth attempt, even with the right password and on either process, is refused.
    for server in (first, second):
        status, body = post_token(server.url, evaluator.email, TEST_PASSWORD)
        assert (status, body["code"]) == (429, "throttled"), body
        assert body["message"].startswith("Trop de tentatives")


def test_twenty_attempts_at_once_on_two_gunicorn_workers_check_the_password_five_times(servers, evaluator):
    server = servers(2, "two-workers")
    server.wait()
    results = [None] * 20
    barrier = threading.Barrier(20)

    def attempt(i):
        barrier.wait(timeout=30)
        results[i] = post_token(server.url, evaluator.email, "wrong-password")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(status for status, _body in results)
    # Exactly 5 were checked (400 wrong password); all the others refused unchecked.
    assert statuses == [400] * MAX_FAILURES_PER_ACCOUNT + [429] * (20 - MAX_FAILURES_PER_ACCOUNT), statuses
    assert all(body["code"] == "throttled" for status, body in results if status == 429)


def with_production_hash(*users):
    """The suite hashes with MD5 for speed; the servers accept only the production hashers."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    for user in users:
        user.password = Argon2PasswordHasher().encode(TEST_PASSWORD, Argon2PasswordHasher().salt())
        user.save(update_fields=["password"])


def test_the_production_profile_asks_the_second_factor_for_a_token(servers, branch_admin, candidate_user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with_production_hash(branch_admin, candidate_user)
    TOTPDevice.objects.create(user=branch_admin, name="app", confirmed=True)
    server = servers(1, "mfa")
    server.wait()
    status, body = post_token(server.url, branch_admin.email, TEST_PASSWORD)
    assert (status, body["code"]) == (400, "second_factor_required") and "otp" in body["fields"]
    status, body = post_token(server.url, candidate_user.email, TEST_PASSWORD)
    assert status == 200 and body["token"]
