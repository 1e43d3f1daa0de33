"""Certificate numbers and verification codes.

Numbers are human-readable, unique per certification and year, consecutive and never
reused (domain.md "Certificates"): they are taken from a counter row locked for the rest
of the issuing transaction, not from a database sequence (a sequence leaves gaps on
rollback). Verification codes are separate, random and unguessable.
"""

import hashlib
import re
import secrets

from django.db import transaction

from juries.certificates.models import CertificateCounter

# 24 random bytes = 192 bits (at least 128 required), 32 URL-safe characters.
VERIFICATION_CODE_BYTES = 24
SHORT_CODE_MAX = 20
KIND_PREFIX = {"CQP": "CQP", "CQPI": "CQPI"}


def short_code(certification) -> str:
    """``cqp-serveur-restauration`` → ``SERVEUR-RESTAURATION``; long codes are cut and
    suffixed with a hash of the full code so two long codes never share a prefix."""
    code = re.sub(r"[^A-Z0-9]+", "-", certification.code.upper()).strip("-")
    code = re.sub(r"^(CQPI|CQP)-", "", code) or code
    if len(code) > SHORT_CODE_MAX:
        digest = hashlib.sha1(certification.code.encode(), usedforsecurity=False).hexdigest()[:6].upper()
        code = f"{code[: SHORT_CODE_MAX - 7].rstrip('-')}-{digest}"
    return code


def format_number(certification, year: int, sequence: int) -> str:
    prefix = KIND_PREFIX.get(certification.kind, "CERT")
    return f"{prefix}-{short_code(certification)}-{year}-{sequence:06d}"


def allocate_numbers(*, certification, year: int, count: int) -> list[tuple[int, str]]:
    """The next ``count`` (sequence, number) pairs for ``certification`` in ``year``, in order,
    taken in one locked step (a session of 500 awards locks the counter once, not 500 times).
    Must run inside the transaction that saves the certificates: the counter row stays locked
    until it commits, and a rollback gives every number back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_numbers must run inside the issuing transaction")
    if count < 1:
        return []
    # INSERT ... ON CONFLICT DO NOTHING: two first issues of the year do not collide.
    CertificateCounter.objects.bulk_create(
        [CertificateCounter(certification=certification, year=year, last=0)], ignore_conflicts=True
    )
    counter = CertificateCounter.objects.select_for_update().get(certification=certification, year=year)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return [(sequence, format_number(certification, year, sequence)) for sequence in range(first, counter.last + 1)]


def allocate_number(*, certification, year: int) -> tuple[int, str]:
    """Next (sequence, number) for ``certification`` in ``year`` (see ``allocate_numbers``)."""
    return allocate_numbers(certification=certification, year=year, count=1)[0]


def new_verification_code() -> str:
    return secrets.token_urlsafe(VERIFICATION_CODE_BYTES)
