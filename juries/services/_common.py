"""Helpers shared by the jury services: locking a session, firing a transition and saving it
with concurrent changes turned into ``Conflict``, refusing an action in the wrong session state,
and deriving a decision's outcome from its block decisions (``derive_outcome``, public).
"""

from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from cqp_portal.errors import Conflict, RuleViolation
from juries.models import JurySession, Outcome, SessionState


def _lock_session(session) -> JurySession:
    return JurySession.objects.select_for_update().get(pk=session.pk)


def _transition(obj, name: str) -> None:
    try:
        getattr(obj, name)()
    except TransitionNotAllowed as exc:
        raise Conflict() from exc


def _save(obj, **kwargs) -> None:
    try:
        obj.save(**kwargs)
    except ConcurrentTransition as exc:
        raise Conflict() from exc


def _state_label(state: str) -> str:
    return str(SessionState(state).label)


def _require_state(session, *states, message: str | None = None) -> None:
    if session.state not in states:
        raise RuleViolation(
            message
            or _("This is not possible while the session is “%(state)s”.") % {"state": _state_label(session.state)},
            code="session_state",
        )


def derive_outcome(*, mandatory: set[int], held: set[int], validated: set[int]) -> str:
    """TOTAL when every mandatory block is held or validated, PARTIAL when the jury validated
    some blocks but not all mandatory ones, REFUSED when it validated none (domain.md,
    "Jury decisions"). Optional blocks never prevent a full award."""
    if not validated:
        return Outcome.REFUSED
    if mandatory <= (held | validated):
        return Outcome.TOTAL
    return Outcome.PARTIAL


def _mandatory_block_ids(version) -> set[int]:
    return set(version.blocks.filter(mandatory=True).values_list("pk", flat=True))


def _recompute_outcome(decision, block_decisions=None) -> str:
    block_decisions = list(block_decisions if block_decisions is not None else decision.block_decisions.all())
    if any(not bd.is_decided for bd in block_decisions):
        return ""
    return derive_outcome(
        mandatory=_mandatory_block_ids(decision.dossier.path.version),
        held={bd.block_id for bd in block_decisions if bd.held},
        validated={bd.block_id for bd in block_decisions if bd.validated},
    )


def reasons_missing(outcome: str, reasons: str, block_decisions) -> list[tuple[str, str]]:
    """What a decision lacks to be reasoned, as (field, message): a refusal states its reasons;
    a partial award states, for each block not validated, why (the candidate learns what to
    retake). A full award needs none. Held blocks are not decided and need none."""
    if outcome == Outcome.REFUSED and not (reasons or "").strip():
        return [("reasons", _("A refusal states its reasons: fill in the reasons of the decision."))]
    if outcome == Outcome.PARTIAL:
        codes = [bd.block.code for bd in block_decisions if bd.validated is False and not (bd.reasons or "").strip()]
        if codes:
            return [
                (
                    "blocks",
                    _("A partial award gives the reasons for each block not validated: %(codes)s.")
                    % {"codes": ", ".join(sorted(codes))},
                )
            ]
    return []


def require_reasons(outcome: str, reasons: str, block_decisions) -> None:
    problems = reasons_missing(outcome, reasons, list(block_decisions))
    if problems:
        field, message = problems[0]
        raise RuleViolation(message, field=field, code="reasons_required")
