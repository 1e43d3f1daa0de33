"""Login throttling with a cool-off: failures are counted per e-mail and per client address
in the cache; past the limit, attempts are refused until the window ends. Nothing is locked
for good, so an attacker cannot lock a real person out permanently (OWASP ASVS 6.3)."""

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


def is_throttled(email: str, address: str) -> bool:
    return (cache.get(_key("account", email), 0) >= MAX_FAILURES_PER_ACCOUNT) or (
        bool(address) and cache.get(_key("address", address), 0) >= MAX_FAILURES_PER_ADDRESS
    )


def record_failure(email: str, address: str) -> None:
    for kind, value in (("account", email), ("address", address)):
        if not value:
            continue
        key = _key(kind, value)
        if cache.add(key, 1, WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_SECONDS)


def clear_failures(email: str) -> None:
    cache.delete(_key("account", email))
