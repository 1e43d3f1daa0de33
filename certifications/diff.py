"""What changed between two référentiel versions: a pure function over ``version_content`` dicts.

Blocks are matched by code; within a block, competencies are matched by text, and a removed
text facing an added one at the same place counts as a changed competency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher


@dataclass
class CompetencyChange:
    kind: str  # "added" | "removed" | "changed"
    old: str = ""
    new: str = ""


@dataclass
class BlockDiff:
    code: str
    kind: str  # "added" | "removed" | "changed"
    title: str = ""
    old_title: str = ""
    fields: list[str] = field(default_factory=list)  # block attributes that changed
    competencies: list[CompetencyChange] = field(default_factory=list)


@dataclass
class VersionDiff:
    blocks: list[BlockDiff]
    activities_changed: bool

    @property
    def is_empty(self) -> bool:
        return not self.blocks and not self.activities_changed

    def by_kind(self, kind: str) -> list[BlockDiff]:
        return [b for b in self.blocks if b.kind == kind]


BLOCK_FIELDS = ("title", "mandatory", "description", "modalities", "criteria")


def diff_competencies(old: list[str], new: list[str]) -> list[CompetencyChange]:
    changes: list[CompetencyChange] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        removed, added = old[i1:i2], new[j1:j2]
        paired = min(len(removed), len(added)) if tag == "replace" else 0
        changes += [CompetencyChange("changed", removed[k], added[k]) for k in range(paired)]
        changes += [CompetencyChange("removed", old=t) for t in removed[paired:]]
        changes += [CompetencyChange("added", new=t) for t in added[paired:]]
    return changes


def diff_contents(old: dict, new: dict) -> VersionDiff:
    old_blocks = {b["code"].strip().upper(): b for b in old.get("blocks", [])}
    new_blocks = {b["code"].strip().upper(): b for b in new.get("blocks", [])}
    result: list[BlockDiff] = []
    for key, block in new_blocks.items():
        if key not in old_blocks:
            result.append(
                BlockDiff(
                    block["code"],
                    "added",
                    title=block["title"],
                    competencies=[CompetencyChange("added", new=t) for t in block.get("competencies", [])],
                )
            )
            continue
        before = old_blocks[key]
        fields = [f for f in BLOCK_FIELDS if before.get(f) != block.get(f)]
        competencies = diff_competencies(before.get("competencies", []), block.get("competencies", []))
        if fields or competencies:
            result.append(
                BlockDiff(
                    block["code"],
                    "changed",
                    title=block["title"],
                    old_title=before["title"],
                    fields=fields,
                    competencies=competencies,
                )
            )
    for key, block in old_blocks.items():
        if key not in new_blocks:
            result.append(
                BlockDiff(
                    block["code"],
                    "removed",
                    title=block["title"],
                    competencies=[CompetencyChange("removed", old=t) for t in block.get("competencies", [])],
                )
            )
    return VersionDiff(blocks=result, activities_changed=old.get("activities", []) != new.get("activities", []))


def diff_versions(old_version, new_version) -> VersionDiff:
    from certifications.exchange import version_content

    return diff_contents(version_content(old_version), version_content(new_version))
