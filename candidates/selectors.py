"""Reads tuned for the pages and for the jury grid. List pages issue a fixed number of
queries whatever the number of paths (select_related + prefetch_related, never a query per row)."""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from candidates.models import (
    AcquiredBlock,
    AssessmentOutcome,
    AssessorRole,
    BlockAssessment,
    BlockPlan,
    Evidence,
    Path,
    PathBlock,
    PathState,
)
from cqp_portal import policy
from cqp_portal.audit.models import AuditEntry


def current_assessments_queryset():
    """Assessments not superseded by a correction: what the jury reads. Use it in a
    ``Prefetch("assessments", queryset=..., to_attr="current_assessments")``."""
    return (
        BlockAssessment.objects.filter(superseded_by__isnull=True)
        .select_related("evaluator", "modality", "block")
        .prefetch_related("criterion_results__criterion")
        .order_by("block__order", "assessor_role", "pk")
    )


def current_assessments(path) -> dict[int, list[BlockAssessment]]:
    """Current assessments of ``path``, by block id (one per assessor role)."""
    rows = getattr(path, "current_assessments", None)
    if rows is None:
        rows = current_assessments_queryset().filter(path=path)
    result: dict[int, list[BlockAssessment]] = defaultdict(list)
    for assessment in rows:
        result[assessment.block_id].append(assessment)
    return dict(result)


def assessment_divergences(path) -> set[int]:
    """Blocks where the workplace tutor and the external evaluator reached different
    outcomes: flagged for the jury (double evaluation)."""
    divergent = set()
    for block_id, rows in current_assessments(path).items():
        outcomes = {a.assessor_role: a.outcome for a in rows}
        tutor, external = outcomes.get(AssessorRole.WORKPLACE_TUTOR), outcomes.get(AssessorRole.EXTERNAL)
        if tutor and external and tutor != external:
            divergent.add(block_id)
    return divergent


def _path_prefetches():
    return (
        Prefetch(
            "path_blocks",
            queryset=PathBlock.objects.select_related("block", "held_through__block", "trainer").order_by(
                "block__order", "block__pk"
            ),
        ),
        Prefetch("assessments", queryset=current_assessments_queryset(), to_attr="current_assessments"),
    )


def paths_for_user(user, queryset=None):
    """The paths ``user`` may see, ready for a list page (fixed number of queries)."""
    qs = queryset if queryset is not None else Path.objects.all()
    qs = qs.select_related(
        "candidate", "certification", "version", "evaluator", "workplace_tutor", "training_provider"
    ).prefetch_related(*_path_prefetches())
    return policy.scope(user, Path, qs)


def worklist_paths(user):
    """Paths assigned to ``user`` as evaluator or workplace tutor, still open."""
    from django.db.models import Q

    qs = Path.objects.filter(Q(evaluator=user) | Q(workplace_tutor=user)).exclude(
        state__in=[
            PathState.DRAFT,
            PathState.WITHDRAWN,
            PathState.AWARDED,
            PathState.PARTIALLY_AWARDED,
            PathState.REFUSED,
            PathState.INADMISSIBLE,
        ]
    )
    return paths_for_user(user, qs).order_by("state", "candidate__birth_name", "pk")


def candidate_paths(user):
    """The candidate's own paths, with everything the "Mon parcours" page shows."""
    qs = Path.objects.filter(candidate__user=user).prefetch_related(
        Prefetch("evidence", queryset=Evidence.objects.select_related("block").order_by("-uploaded_at")),
        "version__blocks__competencies",
    )
    return paths_for_user(user, qs)


def attach_timelines(paths) -> None:
    """One query for the audit trail of all the paths given: ``path.timeline``."""
    paths = list(paths)
    if not paths:
        return
    content_type = ContentType.objects.get_for_model(Path)
    entries = AuditEntry.objects.filter(
        content_type=content_type, object_id__in=[str(p.pk) for p in paths]
    ).select_related("actor")
    by_path = defaultdict(list)
    for entry in entries:
        by_path[entry.object_id].append(entry)
    for path in paths:
        path.timeline = by_path.get(str(path.pk), [])
        for entry in path.timeline:
            entry.state_label = PathState(entry.to_state).label if entry.to_state in PathState.values else ""
            entry.label = ACTION_LABELS.get(entry.action, entry.action)


ACTION_LABELS = {
    "path.create": _("Path created"),
    "path.assign": _("Evaluator or provider assigned"),
    "path.self_assess": _("Self-assessment saved"),
    "path.confirm_positioning": _("Positioning confirmed"),
    "course.progress": _("Course progress recorded"),
    "assessment.record": _("Block assessment recorded"),
    "assessment.correct": _("Block assessment corrected"),
    "evidence.upload": _("Document added"),
    "path.import": _("Path imported"),
    "jury.dossier_add": _("Added to a jury session"),
}


def attach_validated_blocks(paths) -> None:
    """One query: blocks the ledger recorded as validated by each path's jury."""
    paths = list(paths)
    rows = AcquiredBlock.objects.filter(path__in=paths, revoked_at__isnull=True).values_list("path_id", "block_id")
    by_path = defaultdict(set)
    for path_id, block_id in rows:
        by_path[path_id].add(block_id)
    for path in paths:
        path.validated_block_ids = by_path.get(path.pk, set())


class BlockStatus:
    HELD = "held"
    TO_TRAIN = "to_train"
    TO_EVALUATE = "to_evaluate"
    ASSESSED = "assessed"
    AWAITING_JURY = "awaiting_jury"
    VALIDATED = "validated"
    NOT_VALIDATED = "not_validated"

    LABELS = {
        HELD: _("Already held"),
        TO_TRAIN: _("To train"),
        TO_EVALUATE: _("To evaluate"),
        ASSESSED: _("Assessed"),
        AWAITING_JURY: _("Awaiting jury"),
        VALIDATED: _("Validated"),
        NOT_VALIDATED: _("Not validated"),
    }
    BADGES = {
        HELD: "badge-ok",
        TO_TRAIN: "badge-neutral",
        TO_EVALUATE: "badge-neutral",
        ASSESSED: "badge-wait",
        AWAITING_JURY: "badge-wait",
        VALIDATED: "badge-ok",
        NOT_VALIDATED: "badge-ko",
    }


@dataclass
class BlockLine:
    row: PathBlock
    status: str
    assessments: list
    divergent: bool

    @property
    def label(self):
        return BlockStatus.LABELS[self.status]

    @property
    def badge(self):
        return BlockStatus.BADGES[self.status]

    @property
    def outcome_acquired(self):
        return any(a.outcome == AssessmentOutcome.ACQUIRED for a in self.assessments)


def block_lines(path) -> list[BlockLine]:
    """Each block of the path with the status the candidate sees (no extra query when the
    path comes from ``paths_for_user`` and ``attach_validated_blocks``)."""
    current = current_assessments(path)
    divergent = assessment_divergences(path)
    validated = getattr(path, "validated_block_ids", set())
    decided = path.state in (PathState.AWARDED, PathState.PARTIALLY_AWARDED, PathState.REFUSED)
    lines = []
    for row in path.path_blocks.all():
        assessments = current.get(row.block_id, [])
        if row.plan == BlockPlan.HELD:
            status = BlockStatus.HELD
        elif row.block_id in validated:
            status = BlockStatus.VALIDATED
        elif decided:
            status = BlockStatus.NOT_VALIDATED
        elif assessments and path.state == PathState.READY_FOR_JURY:
            status = BlockStatus.AWAITING_JURY
        elif assessments:
            status = BlockStatus.ASSESSED
        elif row.plan == BlockPlan.TO_TRAIN:
            status = BlockStatus.TO_TRAIN
        else:
            status = BlockStatus.TO_EVALUATE
        lines.append(BlockLine(row=row, status=status, assessments=assessments, divergent=row.block_id in divergent))
    return lines


NEXT_STEPS = {
    PathState.DRAFT: _("Confirm the registration: your training provider or you register the path."),
    PathState.REGISTERED: _(
        "Positioning comes next: an evaluator will review with you which blocks you already "
        "master. For VAE, send your admissibility request (livret 1)."
    ),
    PathState.ADMISSIBILITY: _(
        "Your VAE admissibility request is being examined by the branch. A decision is due by the date shown."
    ),
    PathState.ADMISSIBLE: _(
        "Your VAE request is admissible: positioning and the preparation of your dossier come next."
    ),
    PathState.INADMISSIBLE: _("Your VAE request was not admissible. The reasons are in the timeline."),
    PathState.POSITIONING: _(
        "Say for each competency how well you master it; the evaluator then confirms which "
        "blocks you train, which are evaluated directly and which you already hold."
    ),
    PathState.IN_COURSE: _(
        "Follow your training on the blocks still needed. Upload attestations and work samples below."
    ),
    PathState.IN_EVALUATION: _(
        "Each block you prepare is assessed by a habilitated evaluator. Upload the evidence asked for."
    ),
    PathState.READY_FOR_JURY: _(
        "Your file is with the national jury. Nothing is expected from you until its decision."
    ),
    PathState.AWARDED: _("The jury awarded the certification. Your certificate will be available here."),
    PathState.PARTIALLY_AWARDED: _(
        "The jury validated part of the blocks. You can come back later for the missing "
        "blocks only: the validated ones stay in your record."
    ),
    PathState.REFUSED: _("The jury did not award the certification. Its reasons and recommendations are sent to you."),
    PathState.WITHDRAWN: _("This path was withdrawn."),
}


def next_step(path) -> str:
    return NEXT_STEPS[PathState(path.state)]
