"""No Docker engine here: check that the compose file and the settings agree."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def settings_variables() -> set[str]:
    source = (ROOT / "cqp_portal" / "settings.py").read_text()
    return set(re.findall(r'env\.get_\w+\(\s*"([A-Z_]+)"', source))


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_service_with_health_checks():
    services = compose()["services"]
    assert set(services) == {"web", "worker", "beat", "db", "redis"}
    for name in ("web", "worker", "db", "redis"):
        assert "healthcheck" in services[name], name
    assert "gunicorn cqp_portal.wsgi:application" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "cqp_portal", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "cqp_portal", "beat"]


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
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
