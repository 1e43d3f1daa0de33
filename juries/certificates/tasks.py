"""Thin tasks: fetch by id, call a service. Both are safe to run twice."""

import logging

from celery import Task, shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from juries.certificates import services
from juries.certificates.signing import SealError

logger = logging.getLogger(__name__)

# Worth another try: the database or the disk hiccuped, the seal or its timestamp authority
# was unavailable. A template error is not.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError, SealError)


class RecordFailure(Task):
    """When a render fails for good, the certificate shows the error (progress bar, retry)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if isinstance(exc, SealError):
            return  # already recorded by the service, at each attempt
        certificate_id = args[0] if args else kwargs.get("certificate_id")
        try:
            services.certificate_record_failure(certificate_id=certificate_id, error=f"{type(exc).__name__}: {exc}")
        except DatabaseError:
            logger.exception("could not record the failure of certificate %s", certificate_id)


@shared_task(
    base=RecordFailure,
    name="certificates.render",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=120,
    retry_kwargs={"max_retries": 5},
)
def certificate_render(certificate_id: int) -> bool:
    return services.certificate_render(certificate_id=certificate_id)


@shared_task(name="certificates.sweep_pending", acks_late=True)
def sweep_pending(older_than_minutes: int = services.PENDING_REQUEUE_MINUTES) -> int:
    return services.certificates_requeue_pending(older_than_minutes=older_than_minutes)


@shared_task(name="certificates.cdc_export_run")
def cdc_export_run(job_id: int) -> bool:
    return services.cdc_export_job_run(job_id=job_id)


# --- CDC accrochage deadline (beat) ---------------------------------------------------------------


@shared_task(name="certificates.cdc_flag_deadlines")
def cdc_flag_deadlines() -> int:
    """Daily: records the 60- and 80-day reminders due; idempotent (one row per award and threshold)."""
    from juries.certificates.cdc.deadlines import flag_cdc_deadlines

    return flag_cdc_deadlines()


@shared_task(name="certificates.cdc_send_deadline_reminders")
def cdc_send_deadline_reminders(certificate_ids: list[int]) -> int:
    from juries.certificates.cdc.deadlines import send_deadline_reminders

    return send_deadline_reminders(certificate_ids)
