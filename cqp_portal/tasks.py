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
    transaction.on_commit(lambda: task.delay(*args, **kwargs))


@shared_task(name="cqp_portal.tasks.ping")
def ping(value: str) -> dict:
    """Round trip used by /healthz tests and operators to prove a worker answers."""
    from django.db import connection

    return {"echo": value, "database": connection.vendor}


@shared_task(name="cqp_portal.tasks.heartbeat")
def heartbeat() -> None:
    logger.info("beat heartbeat")
