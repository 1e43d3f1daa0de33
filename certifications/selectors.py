"""Reads about certifications used across the apps.

``is_habilitated`` and ``equivalent_block_ids`` are the single answers to "habilitated on
date D?" and "which blocks count as this one?": every app calls them, none re-implements them.
"""

import datetime

from django.db.models import Q

from certifications.models import BlockEquivalence, Habilitation, HabilitationKind


def habilitations_valid_on(day: datetime.date):
    return Habilitation.objects.filter(valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )


def is_habilitated(*, certification, on_date: datetime.date, evaluator=None, training_provider=None) -> bool:
    """Whether the evaluator (a user) or the training provider holds a habilitation for
    ``certification`` valid on ``on_date`` (both bounds included)."""
    if (evaluator is None) == (training_provider is None):
        raise ValueError("give exactly one of evaluator or training_provider")
    qs = habilitations_valid_on(on_date).filter(certification=certification)
    if evaluator is not None:
        return qs.filter(kind=HabilitationKind.EVALUATOR, evaluator=evaluator).exists()
    return qs.filter(kind=HabilitationKind.PROVIDER, training_provider=training_provider).exists()


def equivalent_block_ids(block_ids) -> dict[int, set[int]]:
    """For each block id given, the ids of the blocks that holding it also grants.

    ``from → to`` always; ``to → from`` only when the equivalence is bidirectional. One level
    only: equivalences are declared between two certifications, not chained.
    """
    block_ids = set(block_ids)
    result: dict[int, set[int]] = {block_id: set() for block_id in block_ids}
    rows = BlockEquivalence.objects.filter(Q(from_block__in=block_ids) | Q(to_block__in=block_ids)).values_list(
        "from_block_id", "to_block_id", "bidirectional"
    )
    for from_id, to_id, both in rows:
        if from_id in block_ids:
            result[from_id].add(to_id)
        if both and to_id in block_ids:
            result[to_id].add(from_id)
    return result
