"""Login throttling with a cool-off: attempts are counted per e-mail and per client address
in the shared cache (Redis in production: settings refuse to start without ``CACHE_URL``);
past the limit, attempts are refused until the window ends. Nothing is locked for good, so an
attacker cannot lock a real person out permanently (OWASP ASVS 6.3).

Each attempt is counted *before* the password is checked, with Redis' atomic INCR: the limit
holds exactly whatever the number of web processes and however many requests arrive at once
(``tests/security/test_throttle_processes.py``). A successful login clears the account's count.
"""

import contextlib
import hashlib

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 30


def _key(kind: str, value: str) -> str:
    # Hashed: the cache must not hold e-mail addresses in clear.
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{value.strip().lower()}".encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def _increment(key: str) -> int:
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        return 1


def attempt(email: str, address: str) -> bool:
    """Count one attempt; False when it is past a limit (refuse it without checking the password)."""
    allowed = _increment(_key("account", email)) <= MAX_FAILURES_PER_ACCOUNT
    if address:
        allowed = (_increment(_key("address", address)) <= MAX_FAILURES_PER_ADDRESS) and allowed
    return allowed


def succeeded(email: str, address: str) -> None:
    """A right password: the account's count starts again, the address gets its attempt back."""
    cache.delete(_key("account", email))
    if address:
        with contextlib.suppress(ValueError):  # expired meanwhile
            cache.decr(_key("address", address))
