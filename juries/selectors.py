"""Reads tuned for the jury pages: a fixed number of queries whatever the number of rows."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from candidates.models import (
    AcquiredBlock,
    AssessmentOutcome,
    BlockAssessment,
    BlockPlan,
    Evidence,
    PathBlock,
    PathState,
)
from certifications.models import SkillBlock
from juries.models import (
    BlockDecision,
    College,
    Decision,
    Dossier,
    JurySession,
    MemberLink,
    Outcome,
)

# --- composition rules -------------------------------------------------------------------


@dataclass(frozen=True)
class CompositionRules:
    """The rules of a session covering several certifications: the strictest of each."""

    employer_seats: int
    employee_seats: int
    max_experts: int
    quorum: int
    casting_vote: bool
    requires_ratification: bool


def composition_rules(session) -> CompositionRules:
    certifications = list(session.certifications.all())
    if not certifications:
        return CompositionRules(0, 0, 0, 0, False, False)
    return CompositionRules(
        employer_seats=min(c.jury_employer_seats for c in certifications),
        employee_seats=min(c.jury_employee_seats for c in certifications),
        max_experts=min(c.jury_max_experts for c in certifications),
        quorum=max(c.jury_quorum for c in certifications),
        casting_vote=all(c.president_casting_vote for c in certifications),
        requires_ratification=any(c.requires_ratification for c in certifications),
    )


def composition_problems(session, *, members=None, at_close: bool = False) -> list[str]:
    """What breaks the certification's jury rules (domain.md, "Jury composition"); empty if none."""
    rules = composition_rules(session)
    members = list(members if members is not None else session.members.all())
    counts = defaultdict(int)
    for member in members:
        counts[member.college] += 1
    employers, employees, experts = counts[College.EMPLOYER], counts[College.EMPLOYEE], counts[College.EXPERT]
    problems = []
    if not employers or not employees:
        problems.append(
            _("A joint jury needs at least one member in the employer college and one in the employee college.")
        )
    elif employers != employees:
        problems.append(
            _(
                "The jury is joint (paritaire): the employer college has %(employers)s member(s) and the employee "
                "college %(employees)s; both colleges must have the same number of seats."
            )
            % {"employers": employers, "employees": employees}
        )
    if employers > rules.employer_seats:
        problems.append(
            _("The employer college has %(count)s members for %(seats)s seats.")
            % {"count": employers, "seats": rules.employer_seats}
        )
    if employees > rules.employee_seats:
        problems.append(
            _("The employee college has %(count)s members for %(seats)s seats.")
            % {"count": employees, "seats": rules.employee_seats}
        )
    if experts > rules.max_experts:
        problems.append(
            _("The jury has %(count)s experts; the certification allows at most %(max)s.")
            % {"count": experts, "max": rules.max_experts}
        )
    presidents = [m for m in members if m.is_president]
    if not presidents:
        problems.append(_("The jury has no president."))
    if len(members) < rules.quorum:
        problems.append(
            _("The quorum is %(quorum)s members present, but only %(count)s members are on the jury.")
            % {"quorum": rules.quorum, "count": len(members)}
        )
    if at_close:
        present = [m for m in members if m.present]
        if len(present) < rules.quorum and len(members) >= rules.quorum:
            problems.append(
                _("Quorum not met: %(count)s members present for a quorum of %(quorum)s.")
                % {"count": len(present), "quorum": rules.quorum}
            )
        if presidents and not presidents[0].present:
            problems.append(_("The president is marked absent."))
        present_colleges = {m.college for m in present}
        if employers and employees and not {College.EMPLOYER, College.EMPLOYEE} <= present_colleges:
            problems.append(
                _("Both the employer and the employee colleges must be represented among the members present.")
            )
    return problems


# --- conflicts of interest ---------------------------------------------------------------


def exclusions(session, dossiers=None, members=None) -> dict[int, dict[int, str]]:
    """For each dossier, the members who may not decide on it and why: the candidate's
    evaluator, workplace tutor or trainer, an assessor of the path, or a declared link."""
    members = list(members if members is not None else session.members.all())
    member_by_user = {m.user_id: m.pk for m in members}
    if dossiers is None:
        dossiers = list(
            session.dossiers.select_related("path").prefetch_related(
                Prefetch("path__assessments", queryset=BlockAssessment.objects.only("pk", "path_id", "evaluator_id")),
                "path__path_blocks",
            )
        )
    links = session_links(session)
    why = exclusion_reasons()
    result: dict[int, dict[int, str]] = {}
    for dossier in dossiers:
        path = dossier.path
        roles = [(path.evaluator_id, why["evaluator"]), (path.workplace_tutor_id, why["tutor"])]
        roles += [(a.evaluator_id, why["assessor"]) for a in path.assessments.all()]
        roles += [(getattr(pb, "trainer_id", None), why["trainer"]) for pb in path.path_blocks.all()]
        result[dossier.pk] = excluded_members(member_by_user, roles, links.get(path.candidate_id, []))
    return result


def session_links(session) -> dict[int, list[tuple[int, str]]]:
    """The members' declared links, per candidate: (member id, kind)."""
    links = defaultdict(list)
    for member_id, candidate_id, kind in MemberLink.objects.filter(member__session=session).values_list(
        "member_id", "candidate_id", "kind"
    ):
        links[candidate_id].append((member_id, kind))
    return links


def exclusion_reasons() -> dict[str, str]:
    # Translated once per page, not once per dossier.
    return {
        "evaluator": _("evaluator of the candidate"),
        "tutor": _("workplace tutor"),
        "assessor": _("assessor of the candidate"),
        "trainer": _("trainer of the candidate"),
    }


def excluded_members(member_by_user: dict, roles, links) -> dict[int, str]:
    """Members (by id) who may not decide on one dossier: ``roles`` are (user id, why) of the
    people around the candidate, ``links`` the (member id, kind) declared for the candidate."""
    excluded: dict[int, str] = {}
    for user_id, why in roles:
        member_id = member_by_user.get(user_id)
        if member_id is not None:
            excluded.setdefault(member_id, why)
    for member_id, kind in links:
        excluded.setdefault(member_id, _("declared link: %(kind)s") % {"kind": kind})
    return excluded


# --- the deliberation grid ---------------------------------------------------------------


@dataclass
class GridCell:
    block: SkillBlock
    block_decision: BlockDecision | None
    evaluator_outcome: str | None = None
    divergent: bool = False

    @property
    def proposed(self) -> bool | None:
        return proposed_value(self.block_decision, self.evaluator_outcome, self.divergent)


def proposed_value(block_decision, evaluator_outcome: str | None, divergent: bool) -> bool | None:
    """The value a block's input shows: the jury's, else the evaluators' proposal."""
    if block_decision is not None and block_decision.validated is not None:
        return block_decision.validated
    if divergent or evaluator_outcome is None:
        return None
    return evaluator_outcome == AssessmentOutcome.ACQUIRED


@dataclass
class GridRow:
    dossier: Dossier
    decision: Decision | None
    cells: list[GridCell]
    excluded: dict[int, str]
    undecided: bool


@dataclass
class GridTable:
    version: object
    blocks: list[SkillBlock]
    rows: list[GridRow] = field(default_factory=list)


def current_assessments(assessments) -> dict[int, list]:
    """Current (not superseded) assessments per block."""
    by_block = defaultdict(list)
    for assessment in assessments:
        if getattr(assessment, "_superseded", False):
            continue
        by_block[assessment.block_id].append(assessment)
    return by_block


def divergent_blocks(assessments_by_block) -> set[int]:
    """Blocks whose current assessments disagree (e.g. workplace tutor vs external evaluator)."""
    return {block_id for block_id, rows in assessments_by_block.items() if len({a.outcome for a in rows}) > 1}


def _current_assessment_queryset():
    return BlockAssessment.objects.filter(superseded_by__isnull=True).order_by("assessed_on", "pk")


def deliberation_grid(session) -> list[GridTable]:
    """One table per référentiel version; one row per dossier, one column per block.

    Queries: dossiers+paths+candidates, current decisions, their block decisions and votes,
    current assessments, path blocks, blocks of the versions, members, links: 9, for any size.
    """
    dossiers = list(
        session.dossiers.select_related("path__candidate", "path__version__certification").prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.filter(is_current=True).prefetch_related("block_decisions", "votes"),
                to_attr="current",
            ),
            Prefetch("path__assessments", queryset=_current_assessment_queryset()),
            "path__path_blocks",
        )
    )
    version_ids = {d.path.version_id for d in dossiers}
    blocks_by_version = defaultdict(list)
    for block in SkillBlock.objects.filter(version_id__in=version_ids).order_by("order", "pk"):
        blocks_by_version[block.version_id].append(block)
    members = list(session.members.all())
    excluded = exclusions(session, dossiers=dossiers, members=members)
    tables: dict[int, GridTable] = {}
    for dossier in dossiers:
        path = dossier.path
        table = tables.get(path.version_id)
        if table is None:
            table = tables[path.version_id] = GridTable(version=path.version, blocks=blocks_by_version[path.version_id])
        decision = dossier.current[0] if dossier.current else None
        block_decisions = {bd.block_id: bd for bd in decision.block_decisions.all()} if decision else {}
        by_block = current_assessments(path.assessments.all())
        divergent = divergent_blocks(by_block)
        cells = []
        for block in table.blocks:
            latest = by_block.get(block.pk)
            cells.append(
                GridCell(
                    block=block,
                    block_decision=block_decisions.get(block.pk),
                    evaluator_outcome=latest[-1].outcome if latest else None,
                    divergent=block.pk in divergent,
                )
            )
        undecided = decision is None or any(not bd.is_decided for bd in block_decisions.values())
        table.rows.append(GridRow(dossier, decision, cells, excluded.get(dossier.pk, {}), undecided))
    return list(tables.values())


# --- the grid page: the same grid as plain values --------------------------------------------
# 200 dossiers × 6 blocks are ~5,000 rows; as model instances (deliberation_grid above, which
# the minutes and the close checks use) they cost more than the whole page may
# (issue 11: ≤ 120 ms). The page only shows values, so it reads tuples.


class GridBlock(NamedTuple):
    pk: int
    code: str
    title: str
    mandatory: bool


class GridBlockDecision(NamedTuple):
    held: bool
    validated: bool | None
    reasons: str
    expired_on: datetime.date | None = None


class GridDecision(NamedTuple):
    pk: int
    state: str
    row_version: int
    reasons: str
    recommendations: str
    outcome: str


class GridPageCell(NamedTuple):
    block: GridBlock
    block_decision: GridBlockDecision | None
    evaluator_outcome: str | None
    divergent: bool

    @property
    def proposed(self) -> bool | None:
        return proposed_value(self.block_decision, self.evaluator_outcome, self.divergent)


class GridLine(NamedTuple):
    """One row of the grid page. Tuples all the way down: the row is its own cache key
    (juries/templatetags/jury_grid.py)."""

    dossier_id: int
    name: str
    decision: GridDecision | None
    cells: tuple[GridPageCell, ...]
    excluded: tuple[tuple[int, str], ...]  # (member id, why), in exclusions() order


@dataclass
class GridPageTable:
    version_id: int
    title: str
    number: int
    blocks: list[GridBlock]
    rows: list[GridLine] = field(default_factory=list)


def grid_page(session) -> list[GridPageTable]:
    """What the grid page shows, as deliberation_grid computes it (rows in dossier order, one
    table per référentiel version, the evaluators' outcome and divergence per block, the
    members excluded per dossier).

    Queries: dossiers+paths+candidates+versions, current decisions, their block decisions,
    current assessments, path blocks with a trainer, blocks of the versions, members, links:
    8, for any size."""
    dossiers = list(
        session.dossiers.order_by("pk").values_list(
            "pk",
            "path_id",
            "path__candidate_id",
            "path__candidate__first_names",
            "path__candidate__usage_name",
            "path__candidate__birth_name",
            "path__version_id",
            "path__version__number",
            "path__version__certification__title",
            "path__evaluator_id",
            "path__workplace_tutor_id",
        )
    )
    # The ids read above, not a join on the session: PostgreSQL then looks the 200 rows up by
    # index instead of hashing every decision of every session (16 ms → 1 ms at 100,000
    # candidates).
    dossier_ids = [d[0] for d in dossiers]
    path_ids = [d[1] for d in dossiers]
    decisions: dict[int, GridDecision] = {}
    for dossier_id, *values in (
        Decision.objects.filter(dossier_id__in=dossier_ids, is_current=True)
        .order_by("dossier_id", "-pk")
        .values_list("dossier_id", "pk", "state", "row_version", "reasons", "recommendations", "outcome")
    ):
        decisions.setdefault(dossier_id, GridDecision(*values))
    block_decisions: dict[int, dict[int, GridBlockDecision]] = defaultdict(dict)
    for decision_id, block_id, *values in (
        BlockDecision.objects.filter(decision_id__in=[d.pk for d in decisions.values()])
        .order_by()
        .values_list("decision_id", "block_id", "held", "validated", "reasons", "expired_on")
    ):
        block_decisions[decision_id][block_id] = GridBlockDecision(*values)
    # Ordered like _current_assessment_queryset: the last one per block is the latest.
    assessments: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    assessors: dict[int, list[int]] = defaultdict(list)
    for path_id, block_id, outcome, evaluator_id in (
        BlockAssessment.objects.filter(path_id__in=path_ids, superseded_by__isnull=True)
        .order_by("assessed_on", "pk")
        .values_list("path_id", "block_id", "outcome", "evaluator_id")
    ):
        assessments[path_id][block_id].append(outcome)
        assessors[path_id].append(evaluator_id)
    trainers: dict[int, list[int]] = defaultdict(list)
    for path_id, trainer_id in (
        PathBlock.objects.filter(path_id__in=path_ids, trainer__isnull=False)
        .order_by("pk")
        .values_list("path_id", "trainer_id")
    ):
        trainers[path_id].append(trainer_id)
    blocks_by_version: dict[int, list[GridBlock]] = defaultdict(list)
    for version_id, *values in (
        SkillBlock.objects.filter(version_id__in={d[6] for d in dossiers})
        .order_by("order", "pk")
        .values_list("version_id", "pk", "code", "title", "mandatory")
    ):
        blocks_by_version[version_id].append(GridBlock(*values))
    member_by_user = dict(session.members.values_list("user_id", "pk"))
    links = session_links(session)
    why = exclusion_reasons()
    tables: dict[int, GridPageTable] = {}
    for (
        dossier_id,
        path_id,
        candidate_id,
        first_names,
        usage_name,
        birth_name,
        version_id,
        number,
        title,
        evaluator_id,
        tutor_id,
    ) in dossiers:
        table = tables.get(version_id)
        if table is None:
            table = tables[version_id] = GridPageTable(version_id, title, number, blocks_by_version[version_id])
        decision = decisions.get(dossier_id)
        decided = block_decisions.get(decision.pk, {}) if decision else {}
        by_block = assessments.get(path_id, {})
        cells = []
        for block in table.blocks:
            outcomes = by_block.get(block.pk)
            cells.append(
                GridPageCell(
                    block,
                    decided.get(block.pk),
                    outcomes[-1] if outcomes else None,
                    bool(outcomes) and len(set(outcomes)) > 1,
                )
            )
        roles = [(evaluator_id, why["evaluator"]), (tutor_id, why["tutor"])]
        roles += [(user_id, why["assessor"]) for user_id in assessors.get(path_id, ())]
        roles += [(user_id, why["trainer"]) for user_id in trainers.get(path_id, ())]
        excluded = excluded_members(member_by_user, roles, links.get(candidate_id, []))
        # Candidate.display_name, from the values.
        name = f"{first_names} {usage_name or birth_name}".strip()
        table.rows.append(GridLine(dossier_id, name, decision, tuple(cells), tuple(excluded.items())))
    return list(tables.values())


def dossier_detail(dossier):
    """Everything a member needs on one dossier: positioning, assessments, evidence."""
    path = dossier.path
    path_blocks = list(path.path_blocks.select_related("block", "held_through").order_by("block__order", "block_id"))
    assessments = list(
        path.assessments.select_related("block", "evaluator", "modality")
        .annotate(superseded=Count("superseded_by"))
        .order_by("block__order", "assessed_on", "pk")
    )
    current = defaultdict(list)
    for assessment in assessments:
        if not assessment.superseded:
            current[assessment.block_id].append(assessment)
    evidence = list(Evidence.objects.filter(path=path).select_related("block").order_by("block__order", "pk"))
    return {
        "path": path,
        "path_blocks": path_blocks,
        "assessments": assessments,
        "divergent": divergent_blocks(current),
        "evidence": evidence,
    }


# --- sessions lists ----------------------------------------------------------------------


def sessions_for_member(user):
    return (
        JurySession.objects.filter(members__user=user)
        .prefetch_related("certifications")
        .annotate(dossier_count=Count("dossiers", distinct=True))
        .order_by("-date", "-pk")
    )


def sessions_for_admin(queryset):
    return queryset.prefetch_related("certifications").annotate(
        dossier_count=Count("dossiers", distinct=True), member_count=Count("members", distinct=True)
    )


def eligible_paths(session):
    """Paths ready for jury in a covered certification and in no open session."""
    from candidates.models import Path

    return (
        Path.objects.filter(state=PathState.READY_FOR_JURY, certification__in=session.certifications.all())
        .exclude(jury_dossiers__is_open=True)
        .select_related("candidate", "certification")
        .order_by("candidate__birth_name", "pk")
    )


# --- decisions and deadlines for candidates and administrators ---------------------------


def current_decision(path) -> Decision | None:
    return (
        Decision.objects.filter(dossier__path=path, is_current=True, state="final")
        .select_related("dossier__session")
        .prefetch_related("block_decisions__block")
        .order_by("-pk")
        .first()
    )


def partial_award_deadline(path) -> datetime.date | None:
    """The date by which the missing blocks must be validated: the earliest end of validity
    of the candidate's blocks of this version (domain.md, "Validity of validated blocks").
    None when the blocks are acquired for good."""
    today = timezone.localdate()
    return (
        AcquiredBlock.objects.filter(
            candidate_id=path.candidate_id,
            block__version_id=path.version_id,
            revoked_at__isnull=True,
            valid_until__isnull=False,
            valid_until__gte=today,
        )
        .order_by("valid_until")
        .values_list("valid_until", flat=True)
        .first()
    )


def _summary(decision, deadline) -> dict:
    session = decision.dossier.session
    blocks = list(decision.block_decisions.all())
    return {
        "decision": decision,
        "session": session,
        "award_date": session.award_date,
        "awaiting_ratification": session.award_date is None,
        "validated": [bd for bd in blocks if bd.validated],
        "held": [bd for bd in blocks if bd.held],
        "not_validated": [bd for bd in blocks if bd.validated is False],
        # What the candidate retakes: every block not validated, those whose validity expired
        # before the jury date included (they show the date).
        "expired": [bd for bd in blocks if bd.expired_on and not bd.validated],
        "deadline": deadline if decision.outcome == Outcome.PARTIAL else None,
    }


def decision_summary_for_path(path) -> dict | None:
    """For "Mon parcours": the final decision on the path, its blocks and, for a partial
    award, the deadline. None before any final decision."""
    decision = current_decision(path)
    if decision is None:
        return None
    deadline = partial_award_deadline(path) if decision.outcome == Outcome.PARTIAL else None
    return _summary(decision, deadline)


def decision_summaries_for_paths(paths) -> dict[int, dict]:
    """``decision_summary_for_path`` for many paths in a fixed number of queries (3)."""
    paths = {path.pk: path for path in paths}
    if not paths:
        return {}
    decisions = (
        Decision.objects.filter(dossier__path__in=list(paths), is_current=True, state="final")
        .select_related("dossier__session")
        .prefetch_related("block_decisions__block")
        .order_by("pk")
    )
    latest = {decision.dossier.path_id: decision for decision in decisions}
    partial = [paths[path_id] for path_id, d in latest.items() if d.outcome == Outcome.PARTIAL]
    deadlines: dict[tuple[int, int], datetime.date] = {}
    if partial:
        q = Q()
        for path in partial:
            q |= Q(candidate_id=path.candidate_id, block__version_id=path.version_id)
        rows = AcquiredBlock.objects.filter(
            q, revoked_at__isnull=True, valid_until__isnull=False, valid_until__gte=timezone.localdate()
        ).values_list("candidate_id", "block__version_id", "valid_until")
        for candidate_id, version_id, valid_until in rows:
            key = (candidate_id, version_id)
            deadlines[key] = min(valid_until, deadlines.get(key, valid_until))
    return {
        path_id: _summary(decision, deadlines.get((paths[path_id].candidate_id, paths[path_id].version_id)))
        for path_id, decision in latest.items()
    }


def partial_awards_with_deadlines(branch_ids=None):
    """Partial awards and the date their validated blocks start expiring, soonest first."""
    decisions = Decision.objects.filter(is_current=True, state="final", outcome=Outcome.PARTIAL).select_related(
        "dossier__path__candidate", "dossier__path__certification", "dossier__session"
    )
    if branch_ids is not None:
        decisions = decisions.filter(dossier__path__certification__branches__in=branch_ids).distinct()
    decisions = list(decisions)
    today = timezone.localdate()
    pairs = {(d.dossier.path.candidate_id, d.dossier.path.version_id) for d in decisions}
    earliest: dict[tuple[int, int], datetime.date] = {}
    if pairs:
        q = Q()
        for candidate_id, version_id in pairs:
            q |= Q(candidate_id=candidate_id, block__version_id=version_id)
        rows = AcquiredBlock.objects.filter(q, revoked_at__isnull=True, valid_until__gte=today).values_list(
            "candidate_id", "block__version_id", "valid_until"
        )
        for candidate_id, version_id, valid_until in rows:
            key = (candidate_id, version_id)
            if key not in earliest or valid_until < earliest[key]:
                earliest[key] = valid_until
    result = [(d, earliest.get((d.dossier.path.candidate_id, d.dossier.path.version_id))) for d in decisions]
    result.sort(key=lambda pair: (pair[1] is None, pair[1] or today))
    return result


def blocks_targeted_and_held(path, jury_date, holdings=None) -> tuple[list, set[int], dict[int, datetime.date]]:
    """The blocks the jury decides on for ``path``, those already held and those whose holding
    expired, all judged on ``jury_date`` (the session's date) by the ledger alone: a block
    positioned as held counts only if the ledger still grants it that day. An expired one is
    decided by the jury again, with the date it expired (domain.md, "Validity of validated
    blocks"). ``holdings``: the path's ``ledger.block_holdings`` when already read in bulk."""
    from candidates.ledger import block_holdings

    if holdings is None:
        holdings = block_holdings(path.candidate, path.version, jury_date)
    version_blocks = list(path.version.blocks.order_by("order", "pk"))
    path_blocks = {pb.block_id: pb for pb in path.path_blocks.all()}
    held = {block_id for block_id, holding in holdings.items() if holding.valid}
    positioned_held = {block_id for block_id, pb in path_blocks.items() if pb.plan == BlockPlan.HELD}
    expired = {
        block_id: holding.expired_on
        for block_id, holding in holdings.items()
        if not holding.valid and (block_id in positioned_held or not path_blocks)
    }
    if path_blocks:
        # VAE on a single block: the blocks outside the path are not decided, unless held.
        targeted = [b for b in version_blocks if b.pk in path_blocks and b.pk not in held]
    else:
        targeted = [b for b in version_blocks if b.pk not in held]
    return [b for b in version_blocks if b.pk in held] + targeted, held, expired


def lost_holdings(session) -> list[tuple[Decision, BlockDecision]]:
    """Block decisions recorded as "already held" in the session's current decisions whose ledger
    row no longer grants the block on the jury date (revoked by a corrected decision, or judged
    before the rule existed): the decision must not count them."""
    from candidates.ledger import holdings_for

    rows = list(
        BlockDecision.objects.filter(decision__dossier__session=session, decision__is_current=True, held=True)
        .select_related("block", "decision__dossier__path__candidate")
        .order_by("decision__dossier_id", "block__order", "pk")
    )
    if not rows:
        return []
    paths = {row.decision.dossier.path for row in rows}
    holdings = holdings_for({(p.candidate_id, p.version_id) for p in paths}, session.date)
    lost = []
    for row in rows:
        path = row.decision.dossier.path
        holding = holdings[(path.candidate_id, path.version_id)].get(row.block_id)
        if holding is None or not holding.valid:
            lost.append((row.decision, row))
    return lost
