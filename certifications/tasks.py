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
