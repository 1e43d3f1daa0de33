"""Positioning: opening it with one row per block pre-filled from the ledger, the candidate's
self-assessment, and the confirmation of every block's plan by the evaluator or the provider."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from candidates import tasks
from candidates.ledger import held_blocks
from candidates.models import BlockPlan, CompetencySelfAssessment, Path, PathBlock, PathState, SelfAssessmentLevel
from candidates.services._common import _apply, _lock, _refuse_state, _state_label, _today
from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation
from cqp_portal.tasks import enqueue_on_commit


def path_start_positioning(*, path, by, note: str = "") -> Path:
    """Open the positioning with one row per block, pre-filled from the ledger: blocks held
    (directly or through an equivalence, still valid) are recognised and not assessed again."""
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.position", locked)
        if locked.is_vae and locked.state == PathState.REGISTERED:
            raise RuleViolation(
                _("A VAE path needs a favourable admissibility decision before positioning."),
                code="admissibility_required",
            )
        locked = _apply(locked, "start_positioning", by=by, note=note)
        _prefill_positioning(locked)
    return locked


def _prefill_positioning(path) -> None:
    held = held_blocks(path.candidate, path.version, _today())
    default_plan = BlockPlan.TO_EVALUATE if path.is_vae else BlockPlan.TO_TRAIN
    for block in path.version.blocks.all():
        acquisition = held.get(block.pk)
        if acquisition is None and path.vae_target_block_id and block.pk != path.vae_target_block_id:
            # VAE on a single block: the other blocks are not part of this path.
            continue
        PathBlock.objects.update_or_create(
            path=path,
            block=block,
            defaults={
                "plan": BlockPlan.HELD if acquisition else default_plan,
                "held_through": acquisition,
            },
        )


def path_self_assess(*, path, by, levels: dict[int, str]) -> None:
    """The candidate's self-assessment per competency, during positioning."""
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.self_position", locked)
        if locked.state != PathState.POSITIONING:
            _refuse_state(locked, _state_label(PathState.POSITIONING))
        rows = {
            c.pk: pb
            for pb in locked.path_blocks.prefetch_related("block__competencies")
            for c in pb.block.competencies.all()
        }
        for competency_id, level in levels.items():
            if competency_id not in rows:
                raise RuleViolation(_("This competency is not part of your path."), code="unknown_competency")
            if level not in SelfAssessmentLevel.values:
                raise RuleViolation(_("Unknown self-assessment level."), code="unknown_level")
            CompetencySelfAssessment.objects.update_or_create(
                path_block=rows[competency_id], competency_id=competency_id, defaults={"level": level}
            )
        audit_record(subject=locked, action="path.self_assess", by=by, changes={"competencies": len(levels)})


def path_confirm_positioning(
    *, path, by, plans: dict[int, str], planned_hours: dict[int, int] | None = None, trainers: dict | None = None
) -> Path:
    """The evaluator or the provider confirms the plan of every block. "Already held" only
    for a block the ledger grants: the ledger is the single truth about what is held."""
    planned_hours = planned_hours or {}
    trainers = trainers or {}
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.position", locked)
        if locked.state != PathState.POSITIONING:
            _refuse_state(locked, _state_label(PathState.POSITIONING))
        rows = {pb.block_id: pb for pb in locked.path_blocks.select_related("block")}
        missing = set(rows) - set(plans)
        if missing or set(plans) - set(rows):
            raise RuleViolation(
                _("Give a positioning for every block of the path, and only for them."), code="positioning_incomplete"
            )
        if all(plan == BlockPlan.HELD for plan in plans.values()):
            raise RuleViolation(
                _("Every block is already held: there is nothing left to prepare on this path."),
                code="nothing_to_prepare",
            )
        held = held_blocks(locked.candidate, locked.version, _today())
        now = timezone.now()
        for block_id, plan in plans.items():
            row = rows[block_id]
            if plan not in BlockPlan.values:
                raise RuleViolation(_("Unknown positioning."), code="unknown_plan", field=f"plan_{block_id}")
            if plan == BlockPlan.HELD and block_id not in held:
                raise RuleViolation(
                    _(
                        "Block %(code)s is not in the candidate's ledger of validated blocks (or it has expired): "
                        "it cannot be marked as already held."
                    )
                    % {"code": row.block.code},
                    code="held_not_in_ledger",
                    field=f"plan_{block_id}",
                )
            row.plan = plan
            row.held_through = held.get(block_id) if plan == BlockPlan.HELD else None
            row.planned_hours = 0 if plan == BlockPlan.HELD else int(planned_hours.get(block_id, row.planned_hours))
            if block_id in trainers:
                row.trainer = trainers[block_id]
            row.confirmed_by = by
            row.confirmed_at = now
            row.save()
        audit_record(
            subject=locked,
            action="path.confirm_positioning",
            by=by,
            changes={str(k): v for k, v in plans.items()},
        )
        enqueue_on_commit(tasks.notify_path_event, locked.pk, "positioning_done")
    return locked


def _positioning_confirmed(path) -> bool:
    rows = list(path.path_blocks.all())
    return bool(rows) and all(row.confirmed_at for row in rows)
