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
        "admissibility_deemed",
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
        "admissibility_deemed": _(
            "Your VAE admissibility request is deemed admissible: the certifier did not answer within 2 months"
        ),
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


@shared_task(
    name="candidates.tasks.notify_admissibility_nearing",
    autoretry_for=(ConnectionError, TimeoutError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def notify_admissibility_nearing(path_id: int) -> int:
    """E-mail the administrators of the certification's branches: the 2-month deadline is near."""
    from django.utils.formats import date_format

    from candidates.models import Path, PathState
    from cqp_portal.accounts.models import Role, User

    path = Path.objects.select_related("candidate", "certification").filter(pk=path_id).first()
    if path is None or path.state != PathState.ADMISSIBILITY:
        logger.info("admissibility reminder for path %s skipped: decided or gone", path_id)
        return 0
    admins = (
        User.objects.filter(
            is_active=True,
            roles__role=Role.BRANCH_ADMIN,
            roles__branch__in=path.certification.branches.all(),
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    sent = 0
    for admin in admins:
        with translation.override(admin.language or settings.LANGUAGE_CODE):
            subject = _("VAE admissibility: the 2-month deadline is near")
            body = _(
                "Hello,\n\nThe VAE admissibility request of %(candidate)s for %(certification)s, sent on "
                "%(requested)s, must be decided by %(deadline)s. Without an answer by then, the request will be "
                "deemed admissible (the certifier's silence for 2 months counts as acceptance).\n\n"
                "Decide on the portal: %(url)s\n"
            ) % {
                "candidate": path.candidate.display_name,
                "certification": path.certification.title,
                "requested": date_format(path.admissibility_requested_on),
                "deadline": date_format(path.admissibility_deadline),
                "url": settings.SITE_URL + reverse("candidates:path_detail", args=[path.pk]),
            }
            sent += send_mail(f"[CQP] {subject}", body, None, [admin.email])
    logger.info("admissibility reminder for path %s sent to %d administrator(s)", path_id, sent)
    return sent


@shared_task(name="candidates.tasks.watch_admissibility_deadlines")
def watch_admissibility_deadlines() -> dict:
    """Daily (beat): remind the branch before the deadline, deem admissible after it. Safe to
    run twice: what was sent and what moved is recorded on the path."""
    from candidates.services import admissibility_watch

    counts = admissibility_watch()
    logger.info("admissibility watch: %(reminded)d reminded, %(deemed)d deemed admissible", counts)
    return counts
