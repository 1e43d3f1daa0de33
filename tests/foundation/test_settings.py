"""Start-up configuration: a bad value stops with one line, not a traceback."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


def production_env(**overrides: str) -> dict:
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "cqp.example.org",
        "SITE_URL": "https://cqp.example.org",
        "DATABASE_URL": "postgres://cqp:secret@db.example.org:5432/cqp",
        "CACHE_URL": "redis://redis.example.org:6379/1",
    }
    env.update(overrides)
    return env


def assert_one_line_error(result: subprocess.CompletedProcess, variable: str) -> None:
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith(f"Configuration error: {variable}"), result.stderr
    assert "Traceback" not in result.stderr


def test_missing_secret_key_in_production_is_one_line():
    env = production_env()
    del env["SECRET_KEY"]
    assert_one_line_error(manage("check", **env), "SECRET_KEY")


def test_weak_secret_key_in_production_is_refused():
    assert_one_line_error(manage("check", **production_env(SECRET_KEY="short")), "SECRET_KEY")


def test_wrong_database_url_is_one_line():
    result = manage("check", **production_env(DATABASE_URL="mysql://u:p@h/db"))
    assert_one_line_error(result, "DATABASE_URL")
    assert "postgres://" in result.stderr


def test_database_url_without_database_name_is_refused():
    assert_one_line_error(manage("check", **production_env(DATABASE_URL="postgres://u:p@h:5432/")), "DATABASE_URL")


def test_bad_boolean_is_one_line():
    assert_one_line_error(manage("check", **production_env(DEBUG="maybe")), "DEBUG")


def test_bad_broker_url_is_one_line():
    assert_one_line_error(manage("check", **production_env(CELERY_BROKER_URL="amqp://x")), "CELERY_BROKER_URL")


def test_production_refuses_to_start_without_a_shared_cache():
    """Login, token and verification limits live in the cache: per-process memory would let
    each web worker count on its own (README, "Security")."""
    env = production_env()
    del env["CACHE_URL"]
    assert_one_line_error(manage("check", **env), "CACHE_URL")


def test_check_deploy_is_clean_with_the_production_profile():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_profile_has_sqlite_default_under_var():
    env = {"DEBUG": "true"}
    code = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    result = manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("var/cqp_portal.sqlite3")
