"""Production processes started by tests: the image's static build and its web command
(scripts/build-static, scripts/start-web), on the services of `make test`."""

import functools
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import ARTIFACTS, ROOT, _database_url_for

# One key for every node of a test session: a session cookie signed by one node is read by another.
NODE_SECRET_KEY = secrets.token_urlsafe(64)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@functools.cache
def build_production_static() -> Path:
    """Run the Dockerfile's build step once per test session (~30 s of CPU: brotli and gzip)."""
    target = Path(tempfile.mkdtemp(prefix="cqp-static-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(PYTHON=sys.executable, STATIC_ROOT=str(target))
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-static")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"scripts/build-static failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return target


def production_env(**overrides: str) -> dict:
    """DEBUG off on the test database, the suite's Redis as broker and shared cache, plain HTTP
    (the TLS proxy is not there: no redirect to https)."""
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        PYTHON=sys.executable,
        DEBUG="false",
        SECRET_KEY=NODE_SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        MFA_REQUIRED="false",
        LOG_LEVEL="WARNING",
        DATABASE_URL=_database_url_for(connection.settings_dict["NAME"]),
        DATABASE_CONN_MAX_AGE="0",
    )
    if os.environ.get("REDIS_PORT"):
        env["CACHE_URL"] = f"redis://127.0.0.1:{os.environ['REDIS_PORT']}/3"
    env.update(overrides)
    return env


class WebNode:
    """scripts/start-web (gunicorn) on a free port; killed with its workers like a lost machine."""

    def __init__(self, *, static_root: Path, name: str, workers: int = 2, **env: str):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = production_env(
            STATIC_ROOT=str(static_root), PORT=str(self.port), HOST="127.0.0.1", WEB_CONCURRENCY=str(workers), **env
        )
        self.process: subprocess.Popen | None = None
        self.log_path = ARTIFACTS / f"web-{name}.log"

    def start(self, timeout: float = 60) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [str(ROOT / "scripts" / "start-web")],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"web node {self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                if self.get("/livez")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"web node {self.name} did not answer within {timeout} s")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:  # noqa: S310 (our server)
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def kill(self) -> None:
        """SIGKILL the master and its workers at once (a machine losing power)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
