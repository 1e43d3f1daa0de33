"""What an uploaded PDF is: sealed by the portal and unchanged, changed, or not ours.

``check_seal`` reads the PDF's signatures with pyHanko and validates the last one against the
configured trust roots (any seal certificate chained to them: a rotated seal still verifies
the documents sealed before). ``verify_upload`` adds the SHA-256 and the register: which
certificate, and whether it was revoked.
"""

import hashlib
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from juries.certificates.signing import keys, outside_event_loop

logger = logging.getLogger(__name__)


class SealState(TextChoices):
    VALID = "valid", _("Sealed by the portal, unchanged")
    TAMPERED = "tampered", _("Sealed, then changed")
    UNTRUSTED = "untrusted", _("Sealed by someone else")
    UNSIGNED = "unsigned", _("Not sealed")
    UNREADABLE = "unreadable", _("Not a readable PDF")


class Verdict(TextChoices):
    AUTHENTIC = "authentic", _("Authentic")
    MODIFIED = "modified", _("Modified")
    REVOKED = "revoked", _("Revoked")
    UNKNOWN = "unknown", _("Unknown")


@dataclass
class SealCheck:
    state: str
    signer: str = ""
    signed_at: str = ""
    details: list[str] = field(default_factory=list)

    @property
    def signed_at_display(self) -> str:
        """dd/mm/yyyy HH:MM as the signer's clock said (with its UTC offset)."""
        if not self.signed_at:
            return ""
        moment = datetime.fromisoformat(self.signed_at)
        return moment.strftime("%d/%m/%Y %H:%M (UTC%z)")


def validation_context() -> ValidationContext:
    roots = list(load_certs_from_pemder([str(p) for p in keys.trust_root_files()]))
    # No network: the seal's chain ends at roots we hold; revocation of a seal certificate is
    # handled by removing its root (or the document's certificate is revoked in the register).
    return ValidationContext(trust_roots=roots, allow_fetching=False)


def _signer_name(certificate) -> str:
    """ "Common name (organisation)": what a person reads; the full subject otherwise."""
    if certificate is None:
        return ""
    subject = certificate.subject.native
    name, organisation = subject.get("common_name"), subject.get("organization_name")
    if not name:
        return certificate.subject.human_friendly
    return f"{name} ({organisation})" if organisation else name


def check_seal(data: bytes) -> SealCheck:
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # a broken upload: pyHanko raises PdfReadError, ValueError, KeyError...
        logger.info("unreadable PDF uploaded: %s", type(exc).__name__)
        return SealCheck(SealState.UNREADABLE)
    if not signatures:
        return SealCheck(SealState.UNSIGNED)
    signature = signatures[-1]
    try:
        status = outside_event_loop(validate_pdf_signature, signature, validation_context())
    except Exception as exc:  # a malformed signature dictionary or CMS blob is a modified file
        logger.info("signature could not be validated: %s", type(exc).__name__)
        return SealCheck(SealState.TAMPERED, details=[type(exc).__name__])
    signer = _signer_name(status.signing_cert)
    signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else ""
    if not (status.intact and status.valid):
        return SealCheck(SealState.TAMPERED, signer, signed_at, ["signature does not match the content"])
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        # Bytes were added after the seal (an incremental update): whatever they change.
        return SealCheck(SealState.TAMPERED, signer, signed_at, ["content added after the seal"])
    if not status.trusted:
        return SealCheck(SealState.UNTRUSTED, signer, signed_at, ["the seal does not chain to the portal's roots"])
    return SealCheck(SealState.VALID, signer, signed_at)


@dataclass
class UploadVerdict:
    verdict: str
    seal: SealCheck
    sha256: str
    certificate: object = None
    minutes_session: object = None

    @property
    def message(self) -> str:
        if self.minutes_session is not None:
            return str(MINUTES_MESSAGE) % {"date": self.minutes_session.date.strftime("%d/%m/%Y")}
        legacy = self.verdict == Verdict.AUTHENTIC and self.seal.state == SealState.UNSIGNED
        key = self.seal.state if self.verdict == Verdict.UNKNOWN or legacy else ""
        return str(VERDICT_MESSAGES[(self.verdict, key)])


MINUTES_MESSAGE = _(
    "These are the minutes of the national jury of %(date)s, in their current version: sealed by the portal and "
    "unchanged since."
)

VERDICT_MESSAGES = {
    (Verdict.AUTHENTIC, ""): _(
        "This document is authentic: it was sealed by the portal, has not been changed since, and is valid."
    ),
    (Verdict.AUTHENTIC, SealState.UNSIGNED): _(
        "This document was issued by the portal before documents were sealed: its SHA-256 fingerprint matches the "
        "register and it is valid."
    ),
    (Verdict.REVOKED, ""): _(
        "This document was issued by the portal and has not been changed, but it has been revoked: "
        "it is no longer valid."
    ),
    (Verdict.MODIFIED, ""): _(
        "This document has been modified after it was sealed: do not trust its content. "
        "Ask the holder for the original or check the verification page of the certificate."
    ),
    (Verdict.UNKNOWN, SealState.VALID): _(
        "This document carries the portal's seal but matches no certificate of the register (minutes, or an older "
        "version)."
    ),
    (Verdict.UNKNOWN, SealState.UNTRUSTED): _(
        "This document carries a seal that is not the portal's: it was not issued by the portal."
    ),
    (Verdict.UNKNOWN, SealState.UNSIGNED): _(
        "This document carries no seal and matches no certificate of the register: it was not issued by the portal."
    ),
    (Verdict.UNKNOWN, SealState.UNREADABLE): _("This file is not a readable PDF."),
}


def verify_upload(data: bytes) -> UploadVerdict:
    """The verdict on an uploaded file: the seal first, then the register by SHA-256."""
    from juries.certificates.models import Certificate, CertificateState

    digest = hashlib.sha256(data).hexdigest()
    seal = check_seal(data)
    if seal.state == SealState.TAMPERED:
        return UploadVerdict(Verdict.MODIFIED, seal, digest)
    certificate = None
    if seal.state in (SealState.VALID, SealState.UNSIGNED):
        # Unsigned: a document issued before the seal existed is still found by its hash.
        certificate = Certificate.objects.filter(sha256=digest).select_related("certification").first()
    if certificate is None and seal.state == SealState.VALID:
        from juries.models import JurySession

        session = JurySession.objects.filter(pv_sha256=digest).first()
        if session is not None:
            return UploadVerdict(Verdict.AUTHENTIC, seal, digest, minutes_session=session)
    if certificate is None:
        return UploadVerdict(Verdict.UNKNOWN, seal, digest)
    verdict = Verdict.REVOKED if certificate.state == CertificateState.REVOKED else Verdict.AUTHENTIC
    return UploadVerdict(verdict, seal, digest, certificate)
