"""VAE admissibility (recevabilité): the candidate's experience records, the request (refused
without related, documented experience), the 2-month clock and the silence that counts as
acceptance (domain.md, VAE).

Dates: the deadline is the request date plus 2 calendar months (``Path.admissibility_deadline``).
The branch may decide up to and including that day; from the next day the request is deemed
admissible. It is "nearing" when ``WARNING_DAYS`` days or fewer are left.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from candidates import tasks
from candidates.models import ExperienceRecord, ExperienceStatus, Path, PathState
from candidates.services._common import _apply, _lock, _today
from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation
from cqp_portal.tasks import enqueue_on_commit

# The audit trail is the legal record: the note is written in French, the certifier's language.
DEEMED_NOTE = "Réputée recevable (silence de 2 mois)"
# Experience is recorded before the request; the certifier then judges the file as it was sent.
EDITABLE_STATES = (PathState.DRAFT, PathState.REGISTERED)
# The shortest 2 calendar months (31 December → 28 February) are 59 days: a cheap first filter.
_SHORTEST_PERIOD_DAYS = 59


# Half a month before the deadline: time for the branch to examine the file and answer
# (the alert threshold is the portal's choice, not a legal rule: domain.md sets none).
WARNING_DAYS = 15


def warning_days() -> int:
    return WARNING_DAYS


def days_left(path, today: datetime.date | None = None) -> int | None:
    deadline = path.admissibility_deadline
    return None if deadline is None else (deadline - (today or _today())).days


def is_nearing(path, today: datetime.date | None = None) -> bool:
    left = days_left(path, today)
    return path.state == PathState.ADMISSIBILITY and left is not None and 0 <= left <= warning_days()


def admissibility_missing(path) -> dict[str, str]:
    """What the request still lacks, by field: related experience and a supporting document."""
    missing = {}
    if not path.experience_records.exists():
        missing["experience_records"] = _(
            "Describe at least one experience related to the certification (activity, status, dates, duration, "
            "blocks concerned)."
        )
    if not path.evidence.exists():
        missing["evidence"] = _(
            "Add at least one supporting document (employer certificate, payslip, contract, attestation…)."
        )
    return missing


def check_request_complete(path) -> None:
    missing = admissibility_missing(path)
    if missing:
        field, message = next(iter(missing.items()))
        raise RuleViolation(message, code="admissibility_incomplete", field=field, details=list(missing.values()))


# --- experience records -------------------------------------------------------------------------


def experience_record_save(
    *,
    path,
    by,
    record: ExperienceRecord | None = None,
    activity: str,
    status: str,
    start_date: datetime.date,
    duration_hours: int,
    blocks,
    employer: str = "",
    end_date: datetime.date | None = None,
    description: str = "",
) -> ExperienceRecord:
    """Create (``record`` None) or change one experience record of the candidate's VAE path."""
    blocks = list(blocks)
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.edit_experience", locked)
        _check_editable(locked)
        if record is not None and record.path_id != locked.pk:
            raise RuleViolation(_("This experience belongs to another path."), code="experience_mismatch")
        activity, employer = activity.strip(), employer.strip()
        if not activity:
            raise RuleViolation(_("Describe the activity or job held."), code="required", field="activity")
        if status not in ExperienceStatus.values:
            raise RuleViolation(_("Choose a status."), code="status", field="status")
        if status == ExperienceStatus.EMPLOYEE and not employer:
            raise RuleViolation(
                _("Give the employer's name for salaried employment."), code="employer_required", field="employer"
            )
        today = _today()
        if start_date > today:
            raise RuleViolation(
                _("An experience put forward cannot start in the future."), code="future_date", field="start_date"
            )
        if end_date is not None and end_date < start_date:
            raise RuleViolation(_("The end date is before the start date."), code="dates", field="end_date")
        if end_date is not None and end_date > today:
            raise RuleViolation(
                _("The end date is in the future: leave it empty for an ongoing experience."),
                code="future_date",
                field="end_date",
            )
        if duration_hours is None or duration_hours < 1:
            raise RuleViolation(
                _("Give the time spent on this activity, in hours (1 or more)."),
                code="duration",
                field="duration_hours",
            )
        if not blocks:
            raise RuleViolation(
                _("Choose the block(s) of competencies this experience relates to."),
                code="blocks_required",
                field="blocks",
            )
        if any(block.version_id != locked.version_id for block in blocks):
            raise RuleViolation(
                _("This block is not in the path's référentiel."), code="block_not_in_version", field="blocks"
            )
        if locked.vae_target_block_id and any(block.pk != locked.vae_target_block_id for block in blocks):
            raise RuleViolation(
                _("Your VAE targets a single block: relate the experience to that block."),
                code="block_not_targeted",
                field="blocks",
            )
        values = {
            "activity": activity,
            "status": status,
            "employer": employer,
            "start_date": start_date,
            "end_date": end_date,
            "duration_hours": duration_hours,
            "description": description.strip(),
        }
        if record is None:
            record = ExperienceRecord.objects.create(path=locked, **values)
            action = "experience.create"
        else:
            record = ExperienceRecord.objects.select_for_update().get(pk=record.pk)
            for name, value in values.items():
                setattr(record, name, value)
            record.save()
            action = "experience.update"
        record.blocks.set(blocks)
        audit_record(
            subject=locked,
            action=action,
            by=by,
            changes={"experience": record.pk, "blocks": sorted(b.code for b in blocks)},
        )
    return record


def experience_record_delete(*, record: ExperienceRecord, by) -> None:
    with transaction.atomic():
        locked = _lock(record.path)
        policy.require(by, "path.edit_experience", locked)
        _check_editable(locked)
        pk = record.pk
        ExperienceRecord.objects.filter(pk=pk, path=locked).delete()
        audit_record(subject=locked, action="experience.delete", by=by, changes={"experience": pk})


def _check_editable(path) -> None:
    if not path.is_vae:
        raise RuleViolation(_("Experience records are part of a VAE path only."), code="admissibility_vae_only")
    if path.state not in EDITABLE_STATES:
        raise RuleViolation(
            _("The admissibility request is sent: the experience put forward can no longer be changed."),
            code="experience_frozen",
        )


# --- the 2-month clock ------------------------------------------------------------------------


def pending_requests(queryset=None):
    """Paths waiting for an admissibility decision, oldest request first."""
    qs = Path.objects.all() if queryset is None else queryset
    return qs.filter(state=PathState.ADMISSIBILITY).order_by("admissibility_requested_on", "pk")


def admissibility_remind(*, path, today: datetime.date | None = None) -> bool:
    """Tell the branch administrators once that the deadline is near. A conditional update
    records the sending, so a second run (or a second beat) sends nothing."""
    if not is_nearing(path, today):
        return False
    with transaction.atomic():
        claimed = Path.objects.filter(
            pk=path.pk, state=PathState.ADMISSIBILITY, admissibility_reminded_at__isnull=True
        ).update(admissibility_reminded_at=timezone.now())
        if not claimed:
            return False
        audit_record(
            subject=path,
            action="path.admissibility_reminder",
            changes={"deadline": path.admissibility_deadline.isoformat(), "days_left": days_left(path, today)},
        )
        enqueue_on_commit(tasks.notify_admissibility_nearing, path.pk)
    return True


def path_deem_admissible(*, path, today: datetime.date | None = None) -> Path | None:
    """The certifier kept silent past the deadline: the request is deemed admissible
    (domain.md, VAE), through the same transition as an explicit decision, by nobody."""
    today = today or _today()
    with transaction.atomic():
        locked = Path.objects.select_for_update().filter(pk=path.pk, state=PathState.ADMISSIBILITY).first()
        if locked is None or locked.admissibility_deadline is None or today <= locked.admissibility_deadline:
            return None  # decided meanwhile, or not yet due: nothing to do (safe to run twice)
        locked.admissibility_decided_on = locked.admissibility_deadline
        locked.admissibility_deemed = True
        return _apply(locked, "declare_admissible", by=None, note=DEEMED_NOTE, event="admissibility_deemed")


def admissibility_watch(*, today: datetime.date | None = None) -> dict[str, int]:
    """The daily sweep: reminders for requests nearing their deadline, deemed admissibility
    for those past it. Idempotent: each path is reminded once and moves once."""
    today = today or _today()
    earliest = today - datetime.timedelta(days=_SHORTEST_PERIOD_DAYS - warning_days())
    counts = {"reminded": 0, "deemed": 0}
    for path in pending_requests().filter(admissibility_requested_on__lte=earliest):
        if today > path.admissibility_deadline:
            if path_deem_admissible(path=path, today=today) is not None:
                counts["deemed"] += 1
        elif admissibility_remind(path=path, today=today):
            counts["reminded"] += 1
    return counts


def deadline_refusal(path, today: datetime.date | None = None) -> RuleViolation | None:
    """After the deadline the silence has already made the request admissible: it can no
    longer be declared inadmissible."""
    deadline = path.admissibility_deadline
    if deadline is not None and (today or _today()) > deadline:
        return RuleViolation(
            _(
                "The 2-month deadline ended on %(date)s: the request is deemed admissible (silence of the "
                "certifier) and can no longer be declared inadmissible."
            )
            % {"date": date_format(deadline)},
            code="admissibility_deemed",
            field="note",
        )
    return None
