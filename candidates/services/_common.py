"""Helpers shared by the path services: today's date, state labels, the row lock that turns a
concurrent move into a ``Conflict``, the refusal that names the allowed state, and ``_apply``,
which runs one django-fsm transition, writes its audit row and queues its e-mail."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from candidates import tasks
from candidates.models import Path, PathState
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import Conflict, RuleViolation
from cqp_portal.tasks import enqueue_on_commit


def _today() -> datetime.date:
    return timezone.localdate()


def _state_label(state: str) -> str:
    return str(PathState(state).label)


def _lock(path) -> Path:
    """Re-read the path under a row lock; if its state moved since the caller read it,
    someone else acted first: a clear conflict rather than a surprising second transition."""
    try:
        locked = Path.objects.select_for_update().select_related("certification", "candidate").get(pk=path.pk)
    except Path.DoesNotExist:
        raise Conflict() from None
    if locked.state != path.state:
        raise Conflict(
            _("This path has just moved to “%(state)s” (someone else acted at the same time). Reload and check.")
            % {"state": _state_label(locked.state)}
        )
    return locked


def _refuse_state(path, allowed_from: str):
    raise RuleViolation(
        _("This step is only possible from “%(allowed)s”; the path is “%(state)s”.")
        % {"allowed": allowed_from, "state": _state_label(path.state)},
        code="transition_not_allowed",
    )


def _apply(locked, name: str, *, by, note: str = "", changes: dict | None = None, event: str | None = None) -> Path:
    method = getattr(locked, name)
    if not can_proceed(method):
        allowed = [
            _state_label(t.source)
            for t in locked.get_all_state_transitions()
            if t.name == name and t.source in PathState.values
        ]
        _refuse_state(locked, " / ".join(allowed) or "—")
    from_state = locked.state
    try:
        method()
        locked.save()
    except ConcurrentTransition:
        raise Conflict() from None
    except TransitionNotAllowed:
        _refuse_state(locked, "—")
    audit_record(
        subject=locked,
        action=f"path.{name}",
        by=by,
        from_state=from_state,
        to_state=locked.state,
        note=note,
        changes=changes,
    )
    if event:
        enqueue_on_commit(tasks.notify_path_event, locked.pk, event)
    return locked
