"""The correspondence between référentiel versions: what a block validated on one version counts
as on the next ones.

A CPNE publishes new versions of a référentiel regularly; a candidate partially awarded on
version 1 who comes back on version 2 keeps the blocks validated on version 1 through this
correspondence (domain.md, lifecycle step 6: "the candidate can come back later for the missing
blocks only").

Rules:

- The *previous version* of a version is the highest-numbered published or retired version of
  the same certification below it (usually the one it is ``based_on``). Taking the latest one,
  not ``based_on``, keeps the chain v1 → v2 → v3 without a gap even when a version in between
  was retired.
- A block of the previous version is mapped **automatically** to the block of the new version
  with the same code when they have the *same content*: same code (trimmed, case-insensitive, as
  the diff matches blocks), same title, same competencies and same evaluation criteria (texts
  and order equal, as the diff compares them). The description, the mandatory flag and the
  evaluation modalities are not compared: they do not change what the block certifies.
- Every other block of the previous version (changed or removed) is **declared** by the branch
  administrator when publishing: the new block(s) that holding it counts as, or "no
  correspondence". Publication is refused while one is undeclared.
- A declaration reads "who holds the old block holds each new block named". A split (one old
  block → two new ones) grants both; a merge (two old blocks → one new) grants the new block to
  the holder of either: a branch that wants both declares "no correspondence".
- The rows are written in the publication's transaction and are immutable afterwards, as the
  published content is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from certifications.models import ReferentialState, ReferentialVersion, SkillBlock
from certifications.selectors import equivalent_block_ids
from certifications.version_mapping_models import BlockVersionMapping
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation

FIELD = "correspondences"


@dataclass(frozen=True)
class BlockToDeclare:
    """A block of the previous version whose correspondence the administrator declares."""

    block: SkillBlock
    change: str  # "changed" (a block with the same code exists, its content differs) | "removed"
    same_code: SkillBlock | None = None


@dataclass
class MappingPlan:
    """What publishing ``version`` asks: nothing without a previous version."""

    version: ReferentialVersion
    previous: ReferentialVersion | None
    automatic: list[tuple[SkillBlock, SkillBlock]] = field(default_factory=list)
    to_declare: list[BlockToDeclare] = field(default_factory=list)
    new_blocks: list[SkillBlock] = field(default_factory=list)

    @property
    def needs_declarations(self) -> bool:
        return bool(self.to_declare)


def previous_version(version: ReferentialVersion) -> ReferentialVersion | None:
    return (
        ReferentialVersion.objects.filter(certification_id=version.certification_id, number__lt=version.number)
        .exclude(state=ReferentialState.DRAFT)
        .order_by("-number")
        .first()
    )


def _code_key(code: str) -> str:
    return code.strip().upper()


def _content_key(block: SkillBlock) -> tuple:
    """What "same content" compares (see the module's rules): the prefetched texts, in order."""
    return (
        _code_key(block.code),
        block.title,
        tuple(c.text for c in block.competencies.all()),
        tuple(c.text for c in block.criteria.all()),
    )


def _blocks(version: ReferentialVersion) -> list[SkillBlock]:
    return list(version.blocks.order_by("order", "pk").prefetch_related("competencies", "criteria"))


def mapping_plan(version: ReferentialVersion) -> MappingPlan:
    previous = previous_version(version)
    new_blocks = _blocks(version)
    plan = MappingPlan(version=version, previous=previous, new_blocks=new_blocks)
    if previous is None:
        return plan
    by_code = {_code_key(b.code): b for b in new_blocks}
    for old in _blocks(previous):
        twin = by_code.get(_code_key(old.code))
        if twin is not None and _content_key(twin) == _content_key(old):
            plan.automatic.append((old, twin))
        else:
            plan.to_declare.append(BlockToDeclare(old, "changed" if twin else "removed", twin))
    return plan


def validate_declarations(plan: MappingPlan, declared: dict[int, list[int]]) -> dict[int, list[int]]:
    """``declared``: old block id → new block ids (empty: no correspondence). Returns it
    cleaned, or raises a RuleViolation whose ``details`` place each problem on its old block."""
    from certifications.services import Problem

    expected = {item.block.pk: item.block for item in plan.to_declare}
    automatic = {old.pk: old for old, _new in plan.automatic}
    new_ids = {b.pk for b in plan.new_blocks}
    problems: list[Problem] = []
    cleaned: dict[int, list[int]] = {}
    for old_id, targets in declared.items():
        if old_id in automatic:
            problems.append(
                Problem(
                    _("Block %(code)s did not change: it is mapped automatically, do not declare it.")
                    % {"code": automatic[old_id].code},
                    old_id,
                    FIELD,
                )
            )
        elif old_id not in expected:
            problems.append(
                Problem(
                    _("Block %(id)s is not a block of the previous version.") % {"id": old_id},
                    old_id,
                    FIELD,
                )
            )
        elif set(targets) - new_ids:
            problems.append(
                Problem(
                    _("The correspondence of block %(code)s names a block that is not part of this version.")
                    % {"code": expected[old_id].code},
                    old_id,
                    FIELD,
                )
            )
        else:
            cleaned[old_id] = sorted(set(targets), key=[b.pk for b in plan.new_blocks].index)
    for item in plan.to_declare:
        if item.block.pk not in declared:
            problems.append(
                Problem(
                    _(
                        "Block %(code)s of version %(number)s has no declared correspondence: choose the block(s) "
                        "of this version it counts as, or “no correspondence”."
                    )
                    % {"code": item.block.code, "number": plan.previous.number},
                    item.block.pk,
                    FIELD,
                )
            )
    if problems:
        raise RuleViolation(
            _("Version %(number)s cannot be published: the correspondence of %(count)s block(s) is missing or wrong.")
            % {"number": plan.version.number, "count": len(problems)},
            code="block_mapping_invalid",
            field=FIELD,
            details=problems,
        )
    return cleaned


def record_block_mappings(*, version: ReferentialVersion, declared: dict[int, list[int]] | None, by) -> MappingPlan:
    """Write the correspondence of ``version`` (a draft, locked by the caller, about to be
    published): the automatic rows and the declared ones, with one audit row. Refuses, writing
    nothing, while a block of the previous version is undeclared."""
    plan = mapping_plan(version)
    declared = declared or {}
    if plan.previous is None:
        if declared:
            raise RuleViolation(
                _("This version has no previous version: there is no correspondence to declare."),
                code="block_mapping_invalid",
                field=FIELD,
            )
        return plan
    cleaned = validate_declarations(plan, declared)
    codes = {b.pk: b.code for b in plan.new_blocks}
    rows = [
        BlockVersionMapping(version=version, old_block=old, new_block=new, automatic=True)
        for old, new in plan.automatic
    ]
    for item in plan.to_declare:
        targets = cleaned[item.block.pk]
        rows += [BlockVersionMapping(version=version, old_block=item.block, new_block_id=t) for t in targets] or [
            BlockVersionMapping(version=version, old_block=item.block, new_block=None)
        ]
    BlockVersionMapping.objects.bulk_create(rows)
    audit_record(
        subject=version,
        action="referential.block_mapping",
        by=by,
        note=f"v{plan.previous.number} → v{version.number}",
        changes={
            "previous_version": plan.previous.number,
            "automatic": {old.code: new.code for old, new in plan.automatic},
            "declared": {item.block.code: [codes[t] for t in cleaned[item.block.pk]] for item in plan.to_declare},
        },
    )
    return plan


# --- reading ----------------------------------------------------------------------------------


@dataclass
class MappingRow:
    """One block of the previous version and what it counts as on ``version``."""

    old_block: SkillBlock
    new_blocks: list[SkillBlock]
    automatic: bool


def version_mapping(version: ReferentialVersion) -> list[MappingRow]:
    """The recorded correspondence of ``version``, one row per block of the previous version
    (empty for a first version or a draft)."""
    rows: dict[int, MappingRow] = {}
    for mapping in BlockVersionMapping.objects.filter(version=version).select_related("old_block", "new_block"):
        row = rows.setdefault(mapping.old_block_id, MappingRow(mapping.old_block, [], mapping.automatic))
        if mapping.new_block is not None:
            row.new_blocks.append(mapping.new_block)
    return list(rows.values())


def successor_block_ids(block_ids) -> dict[int, set[int]]:
    """For each block id given, the blocks of the later versions of its référentiel that
    holding it counts as, following the correspondences version after version (v1 → v2 → v3):
    one query per version crossed, whatever the number of blocks."""
    block_ids = set(block_ids)
    forward: dict[int, set[int]] = {}
    frontier = set(block_ids)
    while frontier:
        for old_id in frontier:
            forward.setdefault(old_id, set())
        rows = BlockVersionMapping.objects.filter(old_block__in=frontier, new_block__isnull=False).values_list(
            "old_block_id", "new_block_id"
        )
        for old_id, new_id in rows:
            forward[old_id].add(new_id)
        # A block belongs to one version and versions only go forward: the walk ends.
        frontier = {new_id for targets in forward.values() for new_id in targets} - set(forward)
    result: dict[int, set[int]] = {}
    for block_id in block_ids:
        seen: set[int] = set()
        stack = list(forward.get(block_id, ()))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(forward.get(current, ()))
        result[block_id] = seen
    return result


def granted_block_ids(block_ids) -> dict[int, set[int]]:
    """For each block id given, every block that holding it grants: its successors in the later
    versions of its référentiel; the blocks declared equivalent (passerelles) to it or to one of
    its successors, one level as ``equivalent_block_ids`` says; and the successors of those
    (a passerelle towards version 1 of another CQP still counts on its version 2).

    A block validated on a later version does not inherit the passerelles declared on its
    predecessor: the correspondence goes forward only, as the versions do."""
    block_ids = set(block_ids)
    successors = successor_block_ids(block_ids)
    own = {b: {b} | successors[b] for b in block_ids}
    equivalents = equivalent_block_ids(set().union(*own.values()) if own else set())
    via_equivalence = {b: set().union(*(equivalents.get(x, set()) for x in own[b])) for b in block_ids}
    further = successor_block_ids(set().union(*via_equivalence.values()) if via_equivalence else set())
    result = {}
    for b in block_ids:
        granted = own[b] | via_equivalence[b]
        for x in via_equivalence[b]:
            granted |= further.get(x, set())
        result[b] = granted - {b}
    return result


def correspondence_summary(version: ReferentialVersion) -> dict:
    """The correspondence of ``version`` for the API: recorded once published, else what
    publishing it will ask (automatic rows and blocks still to declare)."""
    recorded = version.state != ReferentialState.DRAFT
    if recorded:
        rows = version_mapping(version)
        previous = rows[0].old_block.version if rows else previous_version(version)
        codes = {_code_key(b.code) for b in version.blocks.all()}
        blocks = [
            {
                "old_block": row.old_block.pk,
                "old_block_code": row.old_block.code,
                "block_change": "unchanged"
                if row.automatic
                else ("changed" if _code_key(row.old_block.code) in codes else "removed"),
                "mapping_status": "automatic" if row.automatic else "declared",
                "new_blocks": [b.pk for b in row.new_blocks],
                "new_block_codes": [b.code for b in row.new_blocks],
            }
            for row in rows
        ]
        if not rows:
            previous = None  # published without a correspondence: a first version, or imported
    else:
        plan = mapping_plan(version)
        previous = plan.previous
        blocks = [
            {
                "old_block": old.pk,
                "old_block_code": old.code,
                "block_change": "unchanged",
                "mapping_status": "automatic",
                "new_blocks": [new.pk],
                "new_block_codes": [new.code],
            }
            for old, new in plan.automatic
        ] + [
            {
                "old_block": item.block.pk,
                "old_block_code": item.block.code,
                "block_change": item.change,
                "mapping_status": "to_declare",
                "new_blocks": [],
                "new_block_codes": [],
            }
            for item in plan.to_declare
        ]
    return {
        "previous_version": previous.pk if previous else None,
        "previous_version_number": previous.number if previous else None,
        "recorded": recorded,
        "blocks": blocks,
    }
