"""The statistics page's figures, computed once per scope and period and kept for
``settings.STATISTICS_CACHE_SECONDS``.

Every aggregate joins all the paths of the branches in scope, so the page costs about half a
second to a second at national volume, whoever asks and however often. Statistics do not need
to be live to the second: the page says when its figures were computed and offers to compute
them again. The key holds everything the figures depend on (certifications in scope, period,
language of the labels), so two administrators of the same branches share an entry and no one
ever reads figures of a scope they were not given.
"""

import datetime
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language

KEY_PREFIX = "statistics:v1"


def cache_key(scope) -> str:
    ids = "all" if scope.certification_ids is None else ",".join(map(str, sorted(scope.certification_ids)))
    raw = f"{ids}|{scope.date_from.isoformat()}|{scope.date_to.isoformat()}|{get_language()}"
    return f"{KEY_PREFIX}:{hashlib.sha256(raw.encode()).hexdigest()}"


def figures(scope, compute, *, refresh: bool = False) -> tuple[dict, datetime.datetime]:
    """``(compute(scope), when it was computed)``, from the cache when possible."""
    seconds = settings.STATISTICS_CACHE_SECONDS
    if seconds <= 0:
        return compute(scope), timezone.now()
    key = cache_key(scope)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    entry = (compute(scope), timezone.now())
    cache.set(key, entry, seconds)
    return entry
