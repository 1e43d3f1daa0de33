"""Thin Celery tasks: fetch by id, call the service, safe to run twice."""

from celery import shared_task

from certifications.models import ImportJob


@shared_task(name="certifications.tasks.import_register")
def import_register(job_id: int) -> str:
    from certifications.importer import run_job

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    return run_job(job).state


@shared_task(name="certifications.flag_ending_registrations")
def flag_ending_registrations() -> int:
    """Daily: records the 12- and 6-month reminders due; idempotent (one row per threshold)."""
    from certifications.renewals import flag_ending_registrations as flag

    return flag()


@shared_task(name="certifications.send_registration_reminders")
def send_registration_reminders(reminder_ids: list[int]) -> int:
    from certifications.renewals import send_registration_reminders as send

    return send(reminder_ids)
