"""Thin tasks: fetch by id, build the message, send it. Only ids go through the broker and
nothing personal is logged."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

EVENTS = frozenset(
    {
        "registered",
        "admissibility_requested",
        "admissibility_decided",
        "positioning_done",
        "assessment_recorded",
        "ready_for_jury",
    }
)


def _subject(event: str) -> str:
    return {
        "registered": _("Your registration is recorded"),
        "admissibility_requested": _("Your VAE admissibility request is recorded"),
        "admissibility_decided": _("A decision was taken on your VAE admissibility"),
        "positioning_done": _("Your positioning is confirmed"),
        "assessment_recorded": _("A block assessment was recorded"),
        "ready_for_jury": _("Your file is ready for the national jury"),
    }[event]


@shared_task(
    name="candidates.tasks.notify_path_event",
    autoretry_for=(ConnectionError, TimeoutError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def notify_path_event(path_id: int, event: str) -> int:
    """E-mail the candidate (and, when the file goes to the jury, the evaluator) about ``event``."""
    from candidates.models import Path

    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    path = Path.objects.select_related("candidate__user", "certification", "evaluator").filter(pk=path_id).first()
    if path is None:
        logger.info("notification %s skipped: path %s is gone", event, path_id)
        return 0
    candidate = path.candidate
    recipient = (candidate.user.email if candidate.user_id else "") or candidate.email
    recipients = [recipient] if recipient else []
    if event == "ready_for_jury" and path.evaluator_id and path.evaluator.email:
        recipients.append(path.evaluator.email)
    if not recipients:
        logger.info("notification %s for path %s: no address", event, path_id)
        return 0
    language = candidate.user.language if candidate.user_id else settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _subject(event)
        body = _(
            "Hello,\n\n%(subject)s: %(certification)s.\nCurrent step: %(state)s.\n\n"
            "Follow your path on the portal: %(url)s\n"
        ) % {
            "subject": subject,
            "certification": path.certification.title,
            "state": path.get_state_display(),
            "url": settings.SITE_URL + reverse("candidates:my_paths"),
        }
        sent = send_mail(f"[CQP] {subject}", body, None, recipients)
    logger.info("notification %s for path %s sent to %d recipient(s)", event, path_id, len(recipients))
    return sent
