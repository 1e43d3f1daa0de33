import pytest
from django.db import transaction

from cqp_portal.celery import app
from cqp_portal.tasks import enqueue_on_commit, ping


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "storage": "local"}


@pytest.mark.django_db
def test_healthz_reports_a_broker_outage_as_503(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error"


def test_celery_configuration_is_safe_for_lost_workers():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.broker_transport_options["visibility_timeout"] >= 600
    assert "audit-heartbeat" in app.conf.beat_schedule


@pytest.mark.django_db
def test_task_is_queued_only_after_commit(django_capture_on_commit_callbacks):
    sent = []
    fake = type("FakeTask", (), {"delay": staticmethod(lambda *a: sent.append(a))})
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue_on_commit(fake, "x")
        assert sent == []
    assert len(callbacks) == 1
    assert sent == [("x",)]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_through_redis(celery_worker):
    result = ping.delay("bonjour")
    assert result.get(timeout=30) == {"echo": "bonjour", "database": "postgresql"}
