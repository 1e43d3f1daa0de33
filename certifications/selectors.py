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


def administered_certifications(user):
    """Certifications the user administers (staff: all), versions and registration prefetched:
    the workspace list costs the same number of queries for 5 or 50 rows."""
    from django.db.models import Prefetch

    from certifications.models import Certification, ReferentialVersion
    from cqp_portal.policy import is_staff
    from cqp_portal.policy.roles import admin_branch_ids

    qs = Certification.objects.all()
    if not is_staff(user):
        qs = qs.filter(branches__in=admin_branch_ids(user)).distinct()
    return (
        qs.select_related("registration")
        .prefetch_related(
            "branches",
            Prefetch("versions", queryset=ReferentialVersion.objects.order_by("-number")),
        )
        .order_by("title")
    )


def version_with_content(version_id: int):
    from django.db.models import Prefetch

    from certifications.models import ReferentialVersion, SkillBlock

    return (
        ReferentialVersion.objects.select_related("certification", "based_on")
        .prefetch_related(
            "activities",
            Prefetch(
                "blocks",
                queryset=SkillBlock.objects.order_by("order", "pk").prefetch_related(
                    "competencies", "modalities", "criteria"
                ),
            ),
        )
        .get(pk=version_id)
    )
