"""W3C Bitstring Status List (revocation) for the Open Badges.

Each certificate has one bit: list ``pk // LIST_BITS``, index ``pk % LIST_BITS``. Its block
credentials point to the same bit: revoking the certificate revokes them with it (they are
the same award). The list is computed from the register on request (one indexed query over a
range of ids) and signed like the badges; bit 0 is the left-most bit of the first byte.
"""

import base64
import gzip

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from juries.certificates.signing import jose

# 131,072 bits = 16 KiB uncompressed: the minimum the W3C recommendation sets (herd privacy).
LIST_BITS = 131072
STATUS_PURPOSE = "revocation"


def position(certificate_id: int) -> tuple[int, int]:
    return divmod(certificate_id, LIST_BITS)


def list_url(list_number: int) -> str:
    return settings.SITE_URL + reverse("certificates:status_list", kwargs={"list_number": list_number})


def status_entry(certificate) -> dict:
    list_number, index = position(certificate.pk)
    url = list_url(list_number)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": STATUS_PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def encode_bits(indexes) -> str:
    """Multibase (``u``: base64url, no padding) of the GZIP-compressed bitstring."""
    bits = bytearray(LIST_BITS // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same revocations give the same bytes (cache-friendly, reproducible).
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def revoked_indexes(list_number: int) -> list[int]:
    from juries.certificates.models import Certificate, CertificateState

    first = list_number * LIST_BITS
    ids = Certificate.objects.filter(state=CertificateState.REVOKED, pk__gte=first, pk__lt=first + LIST_BITS)
    return [pk - first for pk in ids.values_list("pk", flat=True)]


def status_list_credential(list_number: int) -> dict:
    url = list_url(list_number)
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": jose.issuer_did(),
        "validFrom": timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encode_bits(revoked_indexes(list_number)),
        },
    }
