"""The course: starting it (training by a provider habilitated on the course dates, or VAE
support) once the positioning is confirmed, and recording the hours completed per block."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from candidates.models import Course, Path, PathState
from candidates.services._common import _apply, _lock, _refuse_state, _state_label, _today
from candidates.services.paths import _check_provider_habilitated
from candidates.services.positioning import _positioning_confirmed
from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation


def path_start_course(
    *,
    path,
    by,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    training_provider=None,
    vae_support: bool = False,
    note: str = "",
) -> Path:
    """Training by a provider habilitated on the course dates, or VAE support."""
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.start_course", locked)
        if locked.state == PathState.POSITIONING and not _positioning_confirmed(locked):
            raise RuleViolation(
                _("The positioning must be confirmed before the course starts."), code="positioning_not_confirmed"
            )
        start_date = start_date or _today()
        if end_date and end_date < start_date:
            raise RuleViolation(_("The course cannot end before it starts."), code="dates", field="end_date")
        provider = training_provider or locked.training_provider
        if provider is None and not vae_support:
            raise RuleViolation(
                _("A course needs a habilitated training provider (or VAE support)."),
                code="provider_required",
                field="training_provider",
            )
        if provider is not None:
            for day in filter(None, (start_date, end_date)):
                _check_provider_habilitated(locked.certification, provider, day)
        locked = _apply(locked, "start_course", by=by, note=note)
        Course.objects.update_or_create(
            path=locked,
            defaults={
                "training_provider": provider,
                "vae_support": vae_support,
                "start_date": start_date,
                "end_date": end_date,
            },
        )
        if provider is not None and locked.training_provider_id != provider.pk:
            locked.training_provider = provider
            locked.save(update_fields=["training_provider", "updated_at"])
    return locked


def course_record_progress(*, path, by, completed_hours: dict[int, int]) -> None:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.start_course", locked)
        if locked.state != PathState.IN_COURSE:
            _refuse_state(locked, _state_label(PathState.IN_COURSE))
        for row in locked.path_blocks.filter(block_id__in=completed_hours):
            hours = int(completed_hours[row.block_id])
            if hours < 0:
                raise RuleViolation(_("Hours cannot be negative."), code="hours")
            row.completed_hours = hours
            row.save(update_fields=["completed_hours"])
        audit_record(
            subject=locked, action="course.progress", by=by, changes={str(k): v for k, v in completed_hours.items()}
        )
