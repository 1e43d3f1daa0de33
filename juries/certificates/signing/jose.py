"""Open Badges 3.0 as VC-JWT (Open Badges 3.0 §8.2), signed with the portal's Ed25519 key.

The JWT payload is the credential itself (VC data model 2.0 members at the top level) plus the
registered claims the spec asks for: ``iss`` (the issuer's DID), ``nbf`` (``validFrom``),
``jti`` (the credential id). The header names the key by ``kid``, a verification method of
the portal's ``did:web`` document (``/.well-known/did.json``), which also lists retired keys:
a badge signed before a key rotation still verifies.

``alg`` is ``Ed25519`` (RFC 9864's fully specified name; the older ``EdDSA`` is deprecated).
"""

import json
import threading
from datetime import datetime
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from joserfc import jws
from joserfc.jwk import OKPKey

from juries.certificates.signing import keys

ALGORITHM = "Ed25519"
JWT_TYPE = "JWT"
# JsonWebKey2020: the verification method type that did:web resolvers support most widely.
DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]

_lock = threading.Lock()
_cache: dict[tuple, tuple] = {}


def issuer_did() -> str:
    """did:web of SITE_URL: the host (a port is percent-encoded), then the path segments."""
    parts = urlsplit(settings.SITE_URL)
    host = quote(parts.netloc, safe="")
    segments = [quote(s, safe="") for s in parts.path.split("/") if s]
    return ":".join(["did:web", host, *segments])


def _okp(public_key) -> OKPKey:
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return OKPKey.import_key(pem)


def _signing_key() -> tuple[OKPKey, str]:
    """(private JWK, kid), loaded once per process and configuration."""
    config = (settings.BADGE_SIGNING_KEY_FILE, settings.SEAL_DEMO, str(settings.SEAL_DIR), settings.SITE_URL)
    cached = _cache.get(config)
    if cached is None:
        with _lock:
            private = keys.badge_private_key()
            pem = private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            key = OKPKey.import_key(pem)
            cached = (key, f"{issuer_did()}#{key.thumbprint()}")
            _cache.clear()
            _cache[config] = cached
    return cached


def verification_methods() -> list[dict]:
    """The current key first, then the retired ones (kept published: old badges verify)."""
    did = issuer_did()
    current, _kid = _signing_key()
    public_keys = [OKPKey.import_key(current.as_dict(private=False))]
    public_keys += [_okp(k) for k in keys.badge_retired_public_keys()]
    methods, seen = [], set()
    for key in public_keys:
        thumbprint = key.thumbprint()
        if thumbprint in seen:
            continue
        seen.add(thumbprint)
        methods.append(
            {
                "id": f"{did}#{thumbprint}",
                "type": "JsonWebKey2020",
                "controller": did,
                "publicKeyJwk": {**key.as_dict(private=False), "kid": thumbprint},
            }
        )
    return methods


def did_document() -> dict:
    did = issuer_did()
    methods = verification_methods()
    ids = [m["id"] for m in methods]
    return {
        "@context": DID_CONTEXT,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids[:1],
    }


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def sign_credential(credential: dict) -> str:
    """The compact JWS of ``credential`` (VC-JWT)."""
    key, kid = _signing_key()
    claims = {**credential, "iss": issuer_did(), "jti": credential["id"]}
    if "validFrom" in credential:
        claims["nbf"] = _epoch(credential["validFrom"])
    header = {"alg": ALGORITHM, "typ": JWT_TYPE, "kid": kid}
    payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(header, payload, key, algorithms=[ALGORITHM])
