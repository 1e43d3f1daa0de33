"""Thin tasks: fetch by id, call a service, safe to run twice."""

from celery import shared_task

from juries.certificates.signing import SealError


@shared_task(name="juries.tasks.send_convocations")
def send_convocations(session_id: int) -> int:
    from juries.models import JurySession
    from juries.notifications import send_convocations as send

    session = JurySession.objects.filter(pk=session_id).first()
    return send(session) if session else 0


# A seal failure (key unreadable, timestamp authority down) is retried like a disk error.
@shared_task(
    name="juries.tasks.generate_minutes", autoretry_for=(OSError, SealError), retry_backoff=True, max_retries=5
)
def generate_minutes(session_id: int) -> str:
    from juries.models import JurySession
    from juries.services import jury_session_generate_minutes

    session = JurySession.objects.filter(pk=session_id).first()
    if session is None:
        return ""
    return jury_session_generate_minutes(session=session).pv_sha256


@shared_task(
    name="juries.tasks.minutes_new_version", autoretry_for=(OSError, SealError), retry_backoff=True, max_retries=5
)
def minutes_new_version(session_id: int, reason: str = "") -> str:
    from juries.models import JurySession
    from juries.services import jury_session_minutes_new_version

    session = JurySession.objects.filter(pk=session_id).first()
    if session is None:
        return ""
    return jury_session_minutes_new_version(session=session, reason=reason).pv_sha256


@shared_task(name="juries.tasks.notify_decisions")
def notify_decisions(session_id: int) -> int:
    from juries.models import JurySession
    from juries.notifications import send_decisions

    session = JurySession.objects.filter(pk=session_id).first()
    return send_decisions(session) if session else 0


@shared_task(name="juries.tasks.notify_appeal")
def notify_appeal(appeal_id: int) -> None:
    from juries.models import Appeal
    from juries.notifications import send_appeal_notice

    appeal = Appeal.objects.filter(pk=appeal_id).select_related("decision__dossier__path__certification").first()
    if appeal is not None:
        send_appeal_notice(appeal)


@shared_task(name="juries.tasks.flag_expiring_blocks")
def flag_expiring_blocks() -> int:
    from juries.services import flag_expiring_blocks as flag

    return flag()


@shared_task(name="juries.tasks.notify_expiring_blocks")
def notify_expiring_blocks(entry_ids: list[int]) -> int:
    from candidates.models import AcquiredBlock
    from juries.notifications import send_expiry_notices

    entries = AcquiredBlock.objects.filter(pk__in=entry_ids).select_related(
        "candidate__user", "block__version__certification"
    )
    return send_expiry_notices(list(entries))
