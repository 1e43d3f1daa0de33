"""Equivalences declared in the fiches' CORRESPONDANCES, linked once every fiche is imported
(a correspondence often names a fiche further down the file)."""

from __future__ import annotations

from certifications.importing.writing import BATCH_SIZE, SOURCE
from certifications.models import BlockEquivalence, ReferentialState, SkillBlock

CHUNK = 1000  # correspondences resolved per round of queries


def link_correspondences(pending: list[tuple[str, str, str, str]]) -> int:
    """Create the equivalence of each (number, block code, target number, target block code) whose two
    blocks exist, unless the pair is already linked either way; 3 queries per CHUNK. Returns the count."""
    created = 0
    seen: set[tuple[int, int]] = set()
    for start in range(0, len(pending), CHUNK):
        created += _link(pending[start : start + CHUNK], seen)
    return created


def _link(pending: list[tuple[str, str, str, str]], seen: set[tuple[int, int]]) -> int:
    numbers = {number for number, _code, _target, _target_code in pending}
    numbers |= {target for _number, _code, target, _target_code in pending}
    blocks = _current_blocks(numbers)
    pairs = []
    for number, source_code, target_number, target_code in pending:
        source = blocks.get((number, source_code.upper()))
        target = blocks.get((target_number, target_code.upper()))
        if source is None or target is None or source[1] == target[1]:
            continue  # a block missing, or both in the same certification
        pairs.append((number, target_number, source[0], target[0]))
    if not pairs:
        return 0
    ids = {block_id for _n, _t, source, target in pairs for block_id in (source, target)}
    seen.update(
        BlockEquivalence.objects.filter(from_block_id__in=ids, to_block_id__in=ids).values_list(
            "from_block_id", "to_block_id"
        )
    )
    new = []
    for number, target_number, source, target in pairs:
        if (source, target) in seen or (target, source) in seen:
            continue
        seen.add((source, target))
        new.append(
            BlockEquivalence(
                from_block_id=source,
                to_block_id=target,
                bidirectional=True,
                note=f"{SOURCE}: {number} ↔ {target_number}",
            )
        )
    BlockEquivalence.objects.bulk_create(new, batch_size=BATCH_SIZE)
    return len(new)


def _current_blocks(numbers: set[str]) -> dict[tuple[str, str], tuple[int, int]]:
    """(registration number, upper-case block code) → (block id, certification id) of the block in the
    published version if there is one, else in the newest draft (codes compared case-insensitively)."""
    rows = SkillBlock.objects.filter(
        version__certification__registration__number__in=numbers,
        version__state__in=[ReferentialState.PUBLISHED, ReferentialState.DRAFT],
    ).values_list(
        "pk",
        "code",
        "version__state",
        "version__number",
        "version__certification_id",
        "version__certification__registration__number",
    )
    best: dict[tuple[str, str], tuple] = {}
    for pk, code, state, version_number, certification_id, number in rows:
        key = (number, code.upper())
        rank = (state == ReferentialState.PUBLISHED, version_number)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, pk, certification_id)
    return {key: (pk, certification_id) for key, (_rank, pk, certification_id) in best.items()}
