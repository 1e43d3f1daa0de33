"""The other path transitions (registration, VAE admissibility, evaluation, submission to the
jury, return to evaluation, withdrawal) and ``TRANSITIONS``, the table by which the pages and
the API reach every transition by name."""

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from candidates.eligibility import access_route_eligibility
from candidates.models import AssessorRole, BlockPlan, Path, PathState
from candidates.services._common import _apply, _lock, _refuse_state, _state_label, _today
from candidates.services.admissibility import check_request_complete, deadline_refusal
from candidates.services.course import path_start_course
from candidates.services.positioning import _positioning_confirmed, path_start_positioning
from cqp_portal import policy
from cqp_portal.errors import RuleViolation


def path_register(*, path, by, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.register", locked)
        if locked.state != PathState.DRAFT:
            _refuse_state(locked, _state_label(PathState.DRAFT))
        # The eligibility table applies on the day the path really starts.
        on_date = max(locked.start_date or _today(), _today())
        reasons = access_route_eligibility(
            certification=locked.certification, access_route=locked.access_route, on_date=on_date
        )
        if reasons:
            raise RuleViolation(reasons[0], code="access_route_not_eligible", field="access_route", details=reasons)
        return _apply(locked, "register", by=by, note=note, event="registered")


def path_request_admissibility(*, path, by, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.request_admissibility", locked)
        if not locked.is_vae:
            raise RuleViolation(
                _("Only a VAE path goes through admissibility (recevabilité)."), code="admissibility_vae_only"
            )
        if locked.state == PathState.REGISTERED:
            # domain.md, VAE: the experience must be related and documented.
            check_request_complete(locked)
        # The 2-month clock starts on the day the request is sent.
        locked.admissibility_requested_on = _today()
        return _apply(locked, "request_admissibility", by=by, note=note, event="admissibility_requested")


def path_decide_admissibility(*, path, by, admissible: bool, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.decide_admissibility", locked)
        if not admissible and locked.state == PathState.ADMISSIBILITY:
            refusal = deadline_refusal(locked)
            if refusal is not None:
                raise refusal
        if not admissible and not note.strip():
            raise RuleViolation(
                _("An inadmissibility decision must give its reasons."), code="reason_required", field="note"
            )
        locked.admissibility_decided_on = _today()
        name = "declare_admissible" if admissible else "declare_inadmissible"
        return _apply(locked, name, by=by, note=note, event="admissibility_decided")


def path_start_evaluation(*, path, by, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.start_evaluation", locked)
        if locked.state == PathState.POSITIONING and not _positioning_confirmed(locked):
            raise RuleViolation(
                _("The positioning must be confirmed before the evaluation starts."),
                code="positioning_not_confirmed",
            )
        if locked.evaluator_id is None and can_proceed(locked.start_evaluation):
            raise RuleViolation(
                _("Assign a habilitated evaluator before the evaluation starts."), code="evaluator_required"
            )
        return _apply(locked, "start_evaluation", by=by, note=note)


def path_submit_to_jury(*, path, by, note: str = "") -> Path:
    """Every block the path targets has a current assessment (both of them when the
    certification requires double evaluation)."""
    from candidates.selectors import current_assessments

    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.submit_to_jury", locked)
        if locked.state == PathState.IN_EVALUATION:
            current = current_assessments(locked)
            targeted = locked.path_blocks.exclude(plan=BlockPlan.HELD).select_related("block")
            roles_needed = (
                {AssessorRole.EXTERNAL, AssessorRole.WORKPLACE_TUTOR}
                if locked.certification.requires_double_evaluation
                else None
            )
            for row in targeted:
                done = {a.assessor_role for a in current.get(row.block_id, [])}
                if not done:
                    raise RuleViolation(
                        _("Block %(code)s has no assessment yet: every targeted block is assessed before the jury.")
                        % {"code": row.block.code},
                        code="assessment_missing",
                    )
                if roles_needed and not roles_needed <= done:
                    raise RuleViolation(
                        _(
                            "Block %(code)s needs both the workplace tutor's and the external evaluator's "
                            "assessments (double evaluation)."
                        )
                        % {"code": row.block.code},
                        code="double_evaluation_missing",
                    )
        return _apply(locked, "submit_to_jury", by=by, note=note, event="ready_for_jury")


def path_return_to_evaluation(*, path, by, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.return_to_evaluation", locked)
        if not note.strip():
            raise RuleViolation(_("Say why the file goes back to evaluation."), code="reason_required", field="note")
        return _apply(locked, "return_to_evaluation", by=by, note=note)


def path_withdraw(*, path, by, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.withdraw", locked)
        if locked.is_final:
            raise RuleViolation(
                _("A closed path (“%(state)s”) cannot be withdrawn.") % {"state": _state_label(locked.state)},
                code="transition_not_allowed",
            )
        return _apply(locked, "withdraw", by=by, note=note)


# Transitions reachable from the pages and the API by name (the jury's are in juries).
TRANSITIONS = {
    "register": path_register,
    "request_admissibility": path_request_admissibility,
    "declare_admissible": lambda *, path, by, note="": path_decide_admissibility(
        path=path, by=by, admissible=True, note=note
    ),
    "declare_inadmissible": lambda *, path, by, note="": path_decide_admissibility(
        path=path, by=by, admissible=False, note=note
    ),
    "start_positioning": path_start_positioning,
    "start_course": path_start_course,
    "start_evaluation": path_start_evaluation,
    "submit_to_jury": path_submit_to_jury,
    "return_to_evaluation": path_return_to_evaluation,
    "withdraw": path_withdraw,
}
