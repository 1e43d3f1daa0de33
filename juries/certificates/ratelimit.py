"""A per-client-IP fixed-window limit for the public verification pages (no login there)."""

import time

from django.conf import settings
from django.core.cache import cache

DEFAULT_RATE = "60/min"
PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def verify_rate() -> tuple[int, int]:
    """(requests, seconds) from the DRF "verify" rate, the one knob for the API and the pages."""
    rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get("verify") or DEFAULT_RATE
    count, period = rate.split("/")
    return int(count), PERIODS[period]


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(request, scope: str = "verify") -> bool:
    """Count one request; False when the client went over the limit in the current window."""
    limit, period = verify_rate()
    window = int(time.time() // period)
    key = f"ratelimit:{scope}:{client_ip(request)}:{window}"
    # incr first: two cache round trips in the common case (the counter exists), not three.
    try:
        count = cache.incr(key)
    except ValueError:  # first request of the window (or the counter just expired)
        if cache.add(key, 1, timeout=period + 1):
            return True
        count = cache.incr(key)  # another request created it in between
    return count <= limit
