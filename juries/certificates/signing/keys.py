"""Key material: the PDF seal (PKCS#12), its trust roots, and the badges' Ed25519 key.

Production: ``SEAL_PKCS12_FILE`` + ``SEAL_PKCS12_PASSWORD``, ``SEAL_TRUST_ROOTS`` and
``BADGE_SIGNING_KEY_FILE`` come from the environment, never from the repository. Without them,
with ``SEAL_DEMO`` (on by default with DEBUG), a demo CA, a seal certified by it and a badge
key are generated once under ``SEAL_DIR`` (var/seal/), labelled "DÉMONSTRATION" in every name.
Two workers starting together generate them once: the generation holds a file lock.
"""

import datetime
import fcntl
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

from juries.certificates.signing import SealError

DEMO_LABEL = "DÉMONSTRATION — ne prouve rien"
DEMO_ROOT = "demo-root.pem"
DEMO_SEAL = "demo-seal.p12"
DEMO_BADGE_KEY = "demo-badge-key.pem"
# Not a secret: the demo seal proves nothing and says so in its name.
DEMO_SEAL_PASSWORD = b"demo-seal"
DEMO_YEARS = 10


@dataclass(frozen=True)
class SealMaterial:
    pkcs12: bytes
    password: bytes | None
    demo: bool


def demo_in_use() -> bool:
    return not settings.SEAL_PKCS12_FILE and settings.SEAL_DEMO


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Portail CQP ({DEMO_LABEL})"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _generate_demo(directory: Path) -> None:
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    until = now + datetime.timedelta(days=365 * DEMO_YEARS)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Autorité de démonstration du portail CQP")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    seal_key = ec.generate_private_key(ec.SECP256R1())
    seal = (
        x509.CertificateBuilder()
        .subject_name(_name("Sceau de démonstration du portail CQP"))
        .issuer_name(root_name)
        .public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # digitalSignature + nonRepudiation: what PDF signature validators expect of a seal.
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        b"demo-seal",
        seal_key,
        seal,
        [root],
        serialization.BestAvailableEncryption(DEMO_SEAL_PASSWORD),
    )
    badge_key = ed25519.Ed25519PrivateKey.generate()
    _write_atomic(directory / DEMO_SEAL, p12)
    _write_atomic(
        directory / DEMO_BADGE_KEY,
        badge_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    # Written last: its presence means the set is complete.
    _write_atomic(directory / DEMO_ROOT, root.public_bytes(serialization.Encoding.PEM))


def demo_directory() -> Path:
    """The demo material, generated on first use (under a lock: workers start together)."""
    directory = Path(settings.SEAL_DIR)
    if (directory / DEMO_ROOT).is_file():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / DEMO_ROOT).is_file():
            _generate_demo(directory)
    return directory


def seal_material() -> SealMaterial:
    if settings.SEAL_PKCS12_FILE:
        password = settings.SEAL_PKCS12_PASSWORD.encode() if settings.SEAL_PKCS12_PASSWORD else None
        return SealMaterial(Path(settings.SEAL_PKCS12_FILE).read_bytes(), password, demo=False)
    if not settings.SEAL_DEMO:
        raise SealError("no seal configured (SEAL_PKCS12_FILE): documents cannot be issued unsealed")
    return SealMaterial((demo_directory() / DEMO_SEAL).read_bytes(), DEMO_SEAL_PASSWORD, demo=True)


def trust_root_files() -> list[Path]:
    files = [Path(f) for f in settings.SEAL_TRUST_ROOTS]
    if demo_in_use():
        files.append(demo_directory() / DEMO_ROOT)
    return files


@lru_cache(maxsize=4)
def _load_pem_certificates(paths: tuple[str, ...]) -> tuple[x509.Certificate, ...]:
    certificates = []
    for path in paths:
        certificates.extend(x509.load_pem_x509_certificates(Path(path).read_bytes()))
    return tuple(certificates)


def trust_roots() -> tuple[x509.Certificate, ...]:
    return _load_pem_certificates(tuple(str(p) for p in trust_root_files()))


# --- badges ----------------------------------------------------------------------------------


def badge_private_key() -> ed25519.Ed25519PrivateKey:
    if settings.BADGE_SIGNING_KEY_FILE:
        path = Path(settings.BADGE_SIGNING_KEY_FILE)
    elif settings.SEAL_DEMO:
        path = demo_directory() / DEMO_BADGE_KEY
    else:
        raise SealError("no badge signing key configured (BADGE_SIGNING_KEY_FILE)")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SealError("BADGE_SIGNING_KEY_FILE must hold an Ed25519 private key (PKCS#8 PEM)")
    return key


def badge_retired_public_keys() -> list[ed25519.Ed25519PublicKey]:
    keys = []
    for name in settings.BADGE_RETIRED_PUBLIC_KEYS:
        key = serialization.load_pem_public_key(Path(name).read_bytes())
        if isinstance(key, ed25519.Ed25519PublicKey):
            keys.append(key)
    return keys
