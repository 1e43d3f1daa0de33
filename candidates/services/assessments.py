"""Block assessments by the evaluator or the workplace tutor assigned to the path: recorded
during the evaluation phase, corrected (superseded, with a reason) once the file is with the jury."""

import datetime

from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from candidates import tasks
from candidates.models import (
    AssessmentOutcome,
    AssessorRole,
    BlockAssessment,
    BlockPlan,
    CriterionResult,
    Path,
    PathBlock,
    PathState,
)
from candidates.services._common import _refuse_state, _state_label, _today
from certifications.selectors import is_habilitated
from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import Conflict, RuleViolation
from cqp_portal.tasks import enqueue_on_commit


def assessment_record(
    *,
    path,
    block,
    by,
    modality,
    assessed_on: datetime.date,
    outcome: str,
    criterion_results: dict[int, bool],
    comment: str = "",
    assessor_role: str | None = None,
    supersedes: BlockAssessment | None = None,
    correction_reason: str = "",
) -> BlockAssessment:
    """Record one block assessment (not the award: only the jury awards).

    Allowed while the path is "in evaluation" only (course-time assessments are recorded
    once the evaluation phase is opened, so the file the jury reads has one clear phase).
    Once the path is ready for the jury, only a correction superseding an assessment, with
    its reason, is accepted.
    """
    with transaction.atomic():
        locked = Path.objects.select_for_update().select_related("certification").get(pk=path.pk)
        policy.require(by, "path.assess", locked)
        role = _assessor_role(locked, by)
        if assessor_role and assessor_role != role:
            raise RuleViolation(
                _("You are assigned to this path as %(role)s.") % {"role": AssessorRole(role).label},
                code="assessor_role",
                field="assessor_role",
            )
        correction_reason = correction_reason.strip()
        if locked.state == PathState.READY_FOR_JURY:
            if supersedes is None or not correction_reason:
                raise RuleViolation(
                    _(
                        "The file is with the jury: an assessment can no longer be changed. Record a correction "
                        "that supersedes it, with its reason."
                    ),
                    code="assessment_frozen",
                    field="correction_reason",
                )
        elif locked.state != PathState.IN_EVALUATION:
            _refuse_state(locked, _state_label(PathState.IN_EVALUATION))
        if block.version_id != locked.version_id:
            raise RuleViolation(_("This block is not in the path's référentiel."), code="block_not_in_version")
        row = PathBlock.objects.filter(path=locked, block=block).first()
        if row is None or row.plan == BlockPlan.HELD:
            raise RuleViolation(
                _("Block %(code)s is not targeted by this path (already held or not part of it): it is not assessed.")
                % {"code": block.code},
                code="block_not_targeted",
            )
        if assessed_on > _today():
            raise RuleViolation(
                _("The assessment date cannot be in the future."), code="future_date", field="assessed_on"
            )
        # domain.md, "Evaluators": habilitated for that certification on the assessment date.
        if not is_habilitated(certification=locked.certification, on_date=assessed_on, evaluator=by):
            raise RuleViolation(
                _("You are not habilitated to evaluate this certification on %(date)s.")
                % {"date": date_format(assessed_on)},
                code="evaluator_not_habilitated",
                field="assessed_on",
            )
        if locked.certification.trainer_may_not_evaluate and row.trainer_id == by.pk:
            raise RuleViolation(
                _("You trained this candidate on block %(code)s: the certification forbids you to assess it.")
                % {"code": block.code},
                code="trainer_may_not_evaluate",
            )
        if modality.block_id != block.pk:
            raise RuleViolation(
                _("This modality is not one of the block's modalities."), code="unknown_modality", field="modality"
            )
        if outcome not in AssessmentOutcome.values:
            raise RuleViolation(_("Choose an outcome."), code="outcome", field="outcome")
        criteria = {c.pk: c for c in block.criteria.all()}
        given = {int(k): bool(v) for k, v in criterion_results.items()}
        if set(given) != set(criteria):
            raise RuleViolation(
                _("Give a result for every criterion of the block."), code="criteria_incomplete", field="criteria"
            )

        # The path row lock above serialises assessments of this path.
        current = (
            BlockAssessment.objects.filter(path=locked, block=block, assessor_role=role, superseded_by__isnull=True)
            .order_by("-pk")
            .first()
        )
        if supersedes is not None:
            if supersedes.path_id != locked.pk or supersedes.block_id != block.pk:
                raise RuleViolation(_("The corrected assessment is not for this block."), code="supersedes_mismatch")
            if current is None or supersedes.pk != current.pk:
                raise RuleViolation(
                    _("Only the current assessment can be corrected (it was already superseded)."),
                    code="supersedes_not_current",
                )
            if not correction_reason:
                raise RuleViolation(
                    _("A correction must give its reason."), code="reason_required", field="correction_reason"
                )
        elif current is not None:
            # A new assessment during evaluation (a retake) replaces the current one.
            supersedes = current
            correction_reason = correction_reason or _("New assessment during the evaluation phase.")

        try:
            assessment = BlockAssessment.objects.create(
                path=locked,
                block=block,
                evaluator=by,
                assessor_role=role,
                modality=modality,
                assessed_on=assessed_on,
                outcome=outcome,
                comment=comment,
                supersedes=supersedes,
                correction_reason=correction_reason if supersedes else "",
            )
        except IntegrityError:
            raise Conflict() from None
        CriterionResult.objects.bulk_create(
            CriterionResult(assessment=assessment, criterion_id=cid, met=met) for cid, met in given.items()
        )
        audit_record(
            subject=locked,
            action="assessment.correct"
            if supersedes and locked.state == PathState.READY_FOR_JURY
            else "assessment.record",
            by=by,
            note=correction_reason if supersedes else "",
            changes={"block": block.code, "outcome": outcome, "role": role, "assessment": assessment.pk},
        )
        enqueue_on_commit(tasks.notify_path_event, locked.pk, "assessment_recorded")
    return assessment


def _assessor_role(path, user) -> str:
    if user.pk == path.evaluator_id:
        return AssessorRole.EXTERNAL
    if user.pk == path.workplace_tutor_id:
        return AssessorRole.WORKPLACE_TUTOR
    raise RuleViolation(
        _("Only the evaluator or the workplace tutor assigned to this path can assess it."), code="not_assigned"
    )
