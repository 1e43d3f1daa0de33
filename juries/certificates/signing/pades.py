"""``seal_pdf``: a PAdES baseline seal on a rendered PDF (bytes in, bytes out).

B-B with the seal alone; B-T when ``SEAL_TSA_URL`` names an RFC 3161 timestamp authority.
The seal is invisible: the document already shows its signatory and verification QR code,
the seal is what a PDF reader (or pyHanko) checks. The signer (PKCS#12 parsed, certificate
store built) is loaded once per worker process, not once per document.
"""

import io
import logging
import threading

from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps

from juries.certificates.signing import SealError, keys, outside_event_loop

logger = logging.getLogger(__name__)

FIELD_NAME = "SceauPortailCQP"
# Room kept for the CMS signature, sized once from the seal's chain: pyHanko otherwise signs
# twice per document (a dummy run to measure it). The room is written as hex zeros, so too much
# of it doubles the file; the margin covers the signed attributes and the signature value.
SIGNATURE_MARGIN = 2048
# A timestamp token carries the authority's certificates: a generous fixed room.
TSA_ROOM = 16384

_lock = threading.Lock()
_cache: dict[tuple, tuple] = {}


def _config_key() -> tuple:
    return (settings.SEAL_PKCS12_FILE, settings.SEAL_DEMO, str(settings.SEAL_DIR), settings.SEAL_TSA_URL)


def _load():
    """(signer, timestamper, bytes reserved) for the current configuration, once per process."""
    key = _config_key()
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _lock:
        if key not in _cache:
            material = keys.seal_material()
            try:
                signer = signers.SimpleSigner.load_pkcs12_data(
                    material.pkcs12, other_certs=[], passphrase=material.password
                )
            except ValueError as exc:
                raise SealError(f"the seal's PKCS#12 cannot be opened: {exc}") from exc
            timestamper = timestamps.HTTPTimeStamper(settings.SEAL_TSA_URL) if settings.SEAL_TSA_URL else None
            chain = [signer.signing_cert, *signer.cert_registry]
            der_bytes = sum(len(c.dump()) for c in chain) + SIGNATURE_MARGIN + (TSA_ROOM if timestamper else 0)
            reserved = 2 * der_bytes  # pyHanko counts the room in hex digits
            _cache.clear()
            _cache[key] = (signer, timestamper, reserved)
            logger.info("seal loaded: %s", signer.signing_cert.subject.human_friendly)
    return _cache[key]


def seal_subject() -> str:
    signer, _timestamper, _reserved = _load()
    return signer.signing_cert.subject.human_friendly


def seal_pdf(content: bytes, *, reason: str = "Sceau du certificateur") -> bytes:
    """The same PDF with a PAdES seal appended (incremental update). Raises ``SealError``."""
    signer, timestamper, reserved = _load()
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=settings.SITE_URL,
        name=signer.signing_cert.subject.native.get("common_name"),
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(content), strict=False)
        pdf_signer = signers.PdfSigner(metadata, signer, timestamper=timestamper)
        output = outside_event_loop(pdf_signer.sign_pdf, writer, bytes_reserved=reserved)
    except Exception as exc:  # pyHanko raises many kinds (PdfReadError, SigningError, IOError to the TSA)
        raise SealError(f"sealing failed: {type(exc).__name__}: {exc}") from exc
    return output.getvalue()
