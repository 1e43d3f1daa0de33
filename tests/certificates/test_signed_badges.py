"""Signed Open Badges, verified by code that shares nothing with the signing path: the DID
document is fetched and parsed here, the JWS checked with ``cryptography`` directly, the
status list decoded by hand (W3C Bitstring Status List: gzip, base64url multibase)."""

import base64
import gzip
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from juries.certificates import services

pytestmark = pytest.mark.django_db


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class BadSignature(Exception):
    pass


def verify_jws(client, token: str) -> dict:
    """Check a compact JWS against the portal's published did:web document; return the payload."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    assert header["alg"] in ("Ed25519", "EdDSA")
    did, _fragment = header["kid"].split("#")
    assert did.startswith("did:web:")
    document = client.get("/.well-known/did.json")
    assert document.status_code == 200
    did_doc = document.json()
    assert did_doc["id"] == did
    [method] = [m for m in did_doc["verificationMethod"] if m["id"] == header["kid"]]
    assert header["kid"] in did_doc["assertionMethod"]
    jwk = method["publicKeyJwk"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and "d" not in jwk
    public_key = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    try:
        public_key.verify(b64url_decode(signature_b64), f"{header_b64}.{payload_b64}".encode())
    except InvalidSignature as exc:
        raise BadSignature from exc
    return json.loads(b64url_decode(payload_b64))


def status_bit(client, entry: dict) -> int:
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    path = entry["statusListCredential"].split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200 and response["Content-Type"] == "application/vc+jwt"
    status_credential = verify_jws(client, response.content.decode())
    assert "BitstringStatusListCredential" in status_credential["type"]
    subject = status_credential["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded[0] == "u"  # multibase base64url, no padding
    bits = gzip.decompress(b64url_decode(encoded[1:]))
    assert len(bits) >= 16 * 1024
    index = int(entry["statusListIndex"])
    return (bits[index // 8] >> (7 - index % 8)) & 1


def test_the_signed_badge_verifies_with_the_published_key_and_is_not_revoked(client, issued):
    token = client.get(f"/verify/{issued.verification_code}/badge.jwt").content.decode()
    credential = verify_jws(client, token)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["iss"] == credential["issuer"]["id"] == token_did(token)
    assert credential["jti"] == credential["id"]
    assert credential["credentialSubject"]["achievement"]["name"] == "Serveur en restauration"
    assert status_bit(client, credential["credentialStatus"]) == 0
    # badge.json is the same credential, unsigned.
    plain = client.get(f"/verify/{issued.verification_code}/badge.json").json()
    assert plain["credentialStatus"] == credential["credentialStatus"]


def token_did(token: str) -> str:
    return json.loads(b64url_decode(token.split(".")[0]))["kid"].split("#")[0]


def test_a_tampered_badge_is_detected(client, issued):
    token = client.get(f"/verify/{issued.verification_code}/badge.jwt").content.decode()
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["credentialSubject"]["achievement"]["name"] = "Directeur de la restauration"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(BadSignature):
        verify_jws(client, f"{header}.{forged}.{signature}")


def test_revocation_sets_the_bit_of_the_certificate_and_of_its_blocks(client, issued, branch_admin):
    block = issued.blocks.get(code="BC02")
    block_token = client.get(f"/verify/{issued.verification_code}/blocks/{block.pk}/badge.jwt").content.decode()
    block_credential = verify_jws(client, block_token)
    credential = verify_jws(client, client.get(f"/verify/{issued.verification_code}/badge.jwt").content.decode())
    other_bits_before = status_bit(client, credential["credentialStatus"])
    assert other_bits_before == 0 and status_bit(client, block_credential["credentialStatus"]) == 0

    services.certificate_revoke(certificate=issued, by=branch_admin, reason="Fraude constatée")

    assert status_bit(client, credential["credentialStatus"]) == 1
    assert status_bit(client, block_credential["credentialStatus"]) == 1
    # The existing rule stays: a revoked badge is no longer handed out.
    assert client.get(f"/verify/{issued.verification_code}/badge.jwt").status_code == 410
    assert client.get(f"/verify/{issued.verification_code}/badge.json").status_code == 410


def test_a_status_list_beyond_the_last_certificate_is_not_found(client, issued):
    assert client.get("/credentials/status/999/").status_code == 404
    readable = client.get("/credentials/status/0/?format=json").json()
    assert readable["credentialSubject"]["encodedList"].startswith("u")


def test_a_retired_key_stays_published(client, issued, settings, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    old = Ed25519PrivateKey.generate().public_key()
    path = tmp_path / "old.pem"
    path.write_bytes(old.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    settings.BADGE_RETIRED_PUBLIC_KEYS = [str(path)]
    document = client.get("/.well-known/did.json").json()
    xs = [m["publicKeyJwk"]["x"] for m in document["verificationMethod"]]
    raw = old.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert len(xs) == 2 and base64.urlsafe_b64encode(raw).rstrip(b"=").decode() in xs
    assert len(document["assertionMethod"]) == 2
