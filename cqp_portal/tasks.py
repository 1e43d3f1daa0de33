"""Project-wide tasks and the one helper that queues a task after commit."""

import logging
from typing import Any

from celery import shared_task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` once the current transaction commits.

    A task queued inside the transaction could run before the rows it reads are
    visible, or run for rows that are then rolled back.
    """
    transaction.on_commit(lambda: _send(task, args, kwargs))


def _send(task: Any, args: tuple, kwargs: dict) -> None:
    """The data is committed already: a broker outage must not turn the request into a 500.

    The failure is logged (task name only: arguments may identify a person). Work that has a
    periodic sweeper (certificates) is queued again once the broker is back; a notification
    without one is lost, and the log line says so.
    """
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import RedisError

    try:
        # No result is awaited: without ignore_result the Redis result backend (the same server
        # as the broker) would also be contacted, and retried for ~20 s when it is down.
        if hasattr(task, "apply_async"):
            task.apply_async(args, kwargs, ignore_result=True)
        else:  # anything with Celery's .delay() (test doubles)
            task.delay(*args, **kwargs)
    except (BrokerError, RedisError, OSError) as exc:
        logger.error("broker unavailable, task %s not queued (%s)", getattr(task, "name", task), type(exc).__name__)


@shared_task(name="cqp_portal.tasks.ping")
def ping(value: str) -> dict:
    """Round trip used by /healthz tests and operators to prove a worker answers."""
    from django.db import connection

    return {"echo": value, "database": connection.vendor}


@shared_task(name="cqp_portal.tasks.heartbeat")
def heartbeat() -> None:
    logger.info("beat heartbeat")
