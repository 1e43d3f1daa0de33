"""Health endpoints: /healthz checks the database, the broker and the object store (monitoring,
readiness); /livez checks nothing (the load balancer's liveness probe, the benchmarks' baseline)."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return "error"
    return "ok"


def _broker_status() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process"
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except Exception:
        return "error"
    return "ok"


def _storage_status() -> str:
    from django.core.files.storage import default_storage

    health_client = getattr(default_storage, "health_client", None)  # PrivateS3Storage: the bucket
    if health_client is None:
        return "local"
    try:
        health_client().head_bucket(Bucket=default_storage.bucket_name)
    except Exception:
        return "error"
    return "ok"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_status(), "broker": _broker_status(), "storage": _storage_status()}
    healthy = all(value != "error" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


@never_cache
def livez(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
