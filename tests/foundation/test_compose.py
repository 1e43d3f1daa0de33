"""No Docker engine here: check that the compose file and the settings agree."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def settings_variables() -> set[str]:
    source = (ROOT / "cqp_portal" / "settings.py").read_text()
    return set(re.findall(r'env\.get_\w+\(\s*"([A-Z0-9_]+)"', source))


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_service_with_health_checks():
    services = compose()["services"]
    assert set(services) == {"release", "web", "worker", "beat", "db", "redis", "minio", "media-bucket"}
    for name in ("web", "worker", "db", "redis", "minio"):
        assert "healthcheck" in services[name], name
    assert services["web"]["command"] == ["scripts/start-web"]
    assert services["release"]["command"] == ["scripts/release"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "cqp_portal", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "cqp_portal", "beat"]


def test_only_the_release_step_migrates_and_the_others_wait_for_it():
    services = compose()["services"]
    release = (ROOT / "scripts" / "release").read_text()
    assert "manage.py migrate --noinput" in release
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["release"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in " ".join(services[name]["command"]), name
    assert "migrate" not in (ROOT / "scripts" / "start-web").read_text().split("set -euo")[1]
    assert services["release"]["restart"] == "no"
    assert services["release"]["depends_on"]["media-bucket"]["condition"] == "service_completed_successfully"


def test_exactly_one_beat_and_media_in_the_object_store():
    services = compose()["services"]
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("release", "web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["MEDIA_STORAGE"] == "s3", name
        assert environment["AWS_S3_ENDPOINT_URL"] == "http://minio:9000", name
        assert "volumes" not in services[name], f"{name} keeps no files of its own"
    assert services["minio"]["image"].startswith("minio/minio:")


def test_compose_variables_are_the_ones_settings_read():
    known = settings_variables()
    web = compose()["services"]["web"]
    assert set(web["environment"]) <= known
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    assert web["environment"]["CELERY_BROKER_URL"].startswith("redis://redis:")
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert example - {"POSTGRES_PASSWORD"} <= known
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DEBUG"} <= example


def test_app_services_depend_on_healthy_database_and_broker():
    services = compose()["services"]
    for name in ("release", "web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
