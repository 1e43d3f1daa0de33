"""Block assessments by the evaluator or the workplace tutor assigned to the path: recorded
during the evaluation phase, corrected (superseded, with a reason) once the file is with the jury.

One form, one transaction (issue 15.6): every check (the rules, the référentiel's criteria rule,
the attached file) runs before anything is written, and the assessment, its criteria, its
evidence and their audit rows are written together or not at all. A second identical
submission (double click, browser resend, API retry) returns the assessment already recorded.
"""

import datetime
import math

from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from candidates import tasks
from candidates.models import (
    AssessmentOutcome,
    AssessorRole,
    BlockAssessment,
    BlockPlan,
    CriterionResult,
    EvidenceKind,
    Path,
    PathBlock,
    PathState,
)
from candidates.services._common import _refuse_state, _state_label, _today
from candidates.services.evidence import delete_stored_file, evidence_check, store_evidence
from certifications.models import AcquiredCriteriaRule
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
    evidence_file=None,
) -> BlockAssessment:
    """Record one block assessment (not the award: only the jury awards), with its optional
    evidence file. The returned assessment has ``already_recorded`` True when the very same
    assessment was already the current one (then nothing is written).

    Allowed while the path is "in evaluation" only (course-time assessments are recorded
    once the evaluation phase is opened, so the file the jury reads has one clear phase).
    Once the path is ready for the jury, only a correction superseding an assessment, with
    its reason, is accepted.
    """
    # The file is checked before anything is written: a refused file leaves no assessment.
    file_meta = evidence_check(evidence_file, field="evidence_file") if evidence_file else None
    stored = None
    try:
        with transaction.atomic():
            locked = Path.objects.select_for_update().select_related("certification").get(pk=path.pk)
            role, given, current = _check(
                locked,
                block=block,
                by=by,
                modality=modality,
                assessed_on=assessed_on,
                outcome=outcome,
                criterion_results=criterion_results,
                comment=comment.strip(),
                assessor_role=assessor_role,
                supersedes=supersedes,
                correction_reason=correction_reason.strip(),
            )
            if current is not None and _same_as(
                current,
                by=by,
                modality=modality,
                assessed_on=assessed_on,
                outcome=outcome,
                given=given,
                comment=comment.strip(),
                correction_reason=correction_reason.strip() if supersedes is not None else None,
                file_sha256=file_meta[1] if file_meta else None,
            ):
                current.already_recorded = True
                return current
            if supersedes is not None and (current is None or supersedes.pk != current.pk):
                raise RuleViolation(
                    _("Only the current assessment can be corrected (it was already superseded)."),
                    code="supersedes_not_current",
                )
            assessment = _write(
                locked,
                block=block,
                by=by,
                role=role,
                modality=modality,
                assessed_on=assessed_on,
                outcome=outcome,
                given=given,
                comment=comment.strip(),
                current=current,
                supersedes=supersedes,
                correction_reason=correction_reason.strip(),
            )
            if evidence_file is not None:
                stored = store_evidence(
                    path=locked,
                    by=by,
                    uploaded_file=evidence_file,
                    kind=EvidenceKind.WORK_SAMPLE,
                    mime=file_meta[0],
                    sha256=file_meta[1],
                    block=block,
                    assessment=assessment,
                )
            enqueue_on_commit(tasks.notify_path_event, locked.pk, "assessment_recorded")
    except Exception:
        # The rows are rolled back; a stored file is not: remove it too.
        delete_stored_file(stored)
        raise
    assessment.already_recorded = False
    return assessment


def _check(
    locked,
    *,
    block,
    by,
    modality,
    assessed_on,
    outcome,
    criterion_results,
    comment,
    assessor_role,
    supersedes,
    correction_reason,
):
    """Every rule, before any write. Returns the assessor's role, the criteria results and the
    current assessment of this block by this role."""
    policy.require(by, "path.assess", locked)
    role = _assessor_role(locked, by)
    if assessor_role and assessor_role != role:
        raise RuleViolation(
            _("You are assigned to this path as %(role)s.") % {"role": AssessorRole(role).label},
            code="assessor_role",
            field="assessor_role",
        )
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
        raise RuleViolation(_("The assessment date cannot be in the future."), code="future_date", field="assessed_on")
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
            _("Give a result for every criterion of the block."), code="criteria_incomplete", field="criterion_results"
        )
    if outcome == AssessmentOutcome.ACQUIRED:
        _check_criteria_rule(locked.certification, block, given, comment)

    # The path row lock above serialises assessments of this path.
    current = (
        BlockAssessment.objects.filter(path=locked, block=block, assessor_role=role, superseded_by__isnull=True)
        .order_by("-pk")
        .first()
    )
    if supersedes is not None:
        if supersedes.path_id != locked.pk or supersedes.block_id != block.pk:
            raise RuleViolation(_("The corrected assessment is not for this block."), code="supersedes_mismatch")
        if not correction_reason:
            raise RuleViolation(
                _("A correction must give its reason."), code="reason_required", field="correction_reason"
            )
    return role, given, current


def _check_criteria_rule(certification, block, given: dict[int, bool], comment: str) -> None:
    """An "acquired" outcome must agree with the criteria, by the référentiel's rule (issue 15.5)."""
    total = len(given)
    met = sum(given.values())
    unmet = total - met
    if not unmet:
        return
    rule = certification.acquired_criteria_rule
    if rule == AcquiredCriteriaRule.ALL_CRITERIA:
        raise RuleViolation(
            ngettext(
                "Block %(code)s cannot be assessed as acquired: %(unmet)s criterion is not met, and the "
                "référentiel requires every criterion to be met.",
                "Block %(code)s cannot be assessed as acquired: %(unmet)s criteria are not met, and the "
                "référentiel requires every criterion to be met.",
                unmet,
            )
            % {"code": block.code, "unmet": unmet},
            code="outcome_contradicts_criteria",
            field="outcome",
        )
    if rule == AcquiredCriteriaRule.THRESHOLD:
        needed = math.ceil(total * (certification.acquired_criteria_threshold or 100) / 100)
        if met < needed:
            raise RuleViolation(
                _(
                    "Block %(code)s cannot be assessed as acquired: %(met)s of %(total)s criteria are met, and the "
                    "référentiel requires at least %(needed)s (%(percent)s %%)."
                )
                % {
                    "code": block.code,
                    "met": met,
                    "total": total,
                    "needed": needed,
                    "percent": certification.acquired_criteria_threshold,
                },
                code="outcome_contradicts_criteria",
                field="outcome",
            )
        return
    # No rule in the référentiel: the evaluator may judge the block acquired anyway, in writing.
    if not comment:
        raise RuleViolation(
            ngettext(
                "%(unmet)s criterion is not met: explain in the comment why the block is acquired nonetheless.",
                "%(unmet)s criteria are not met: explain in the comment why the block is acquired nonetheless.",
                unmet,
            )
            % {"unmet": unmet},
            code="justification_required",
            field="comment",
        )


def _same_as(current, *, by, modality, assessed_on, outcome, given, comment, correction_reason, file_sha256) -> bool:
    """Whether the submission repeats the current assessment exactly (a double submission)."""
    if (current.evaluator_id, current.modality_id, current.assessed_on, current.outcome, current.comment) != (
        by.pk,
        modality.pk,
        assessed_on,
        outcome,
        comment,
    ):
        return False
    if correction_reason is not None and current.correction_reason != correction_reason:
        return False
    if dict(current.criterion_results.values_list("criterion_id", "met")) != given:
        return False
    attached = set(current.evidence.values_list("sha256", flat=True))
    return file_sha256 in attached if file_sha256 else not attached


def _write(
    locked,
    *,
    block,
    by,
    role,
    modality,
    assessed_on,
    outcome,
    given,
    comment,
    current,
    supersedes,
    correction_reason,
) -> BlockAssessment:
    if supersedes is None and current is not None:
        # A new assessment during evaluation (a retake) replaces the current one.
        supersedes = current
        correction_reason = correction_reason or _("New assessment during the evaluation phase.")
    try:
        with transaction.atomic():
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
        action="assessment.correct" if supersedes and locked.state == PathState.READY_FOR_JURY else "assessment.record",
        by=by,
        note=correction_reason if supersedes else "",
        changes={"block": block.code, "outcome": outcome, "role": role, "assessment": assessment.pk},
    )
    return assessment


def _assessor_role(path, user) -> str:
    if user.pk == path.evaluator_id:
        return AssessorRole.EXTERNAL
    if user.pk == path.workplace_tutor_id:
        return AssessorRole.WORKPLACE_TUTOR
    raise RuleViolation(
        _("Only the evaluator or the workplace tutor assigned to this path can assess it."), code="not_assigned"
    )
