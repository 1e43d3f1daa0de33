"""Evidence uploads: the accepted file types, recognised by content, the size limit, and storage
that leaves nothing behind when an upload is refused."""

import hashlib

import filetype
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from candidates.models import Evidence, EvidenceKind
from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation

EVIDENCE_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def evidence_check(uploaded_file, *, field: str = "file") -> tuple[str, str]:
    """The file's type (recognised by content) and its sha256, or a refusal naming ``field``.
    Writes nothing: callers check every file before they write anything (issue 15.6)."""
    limit = settings.EVIDENCE_MAX_BYTES
    if uploaded_file.size > limit:
        raise RuleViolation(
            _("The file is too large (maximum %(mb)s MB).") % {"mb": round(limit / 1024 / 1024, 1)},
            code="file_too_large",
            field=field,
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(2048)
    kind_guess = filetype.guess(head)
    if kind_guess is None or kind_guess.mime not in EVIDENCE_TYPES:
        raise RuleViolation(
            _("Only PDF, JPEG and PNG files are accepted (the content of this file is not one of them)."),
            code="file_type",
            field=field,
        )
    uploaded_file.seek(0)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return kind_guess.mime, digest.hexdigest()


def store_evidence(*, path, by, uploaded_file, kind: str, mime: str, sha256: str, block=None, **links) -> Evidence:
    """Save a checked file and its row, inside the caller's transaction. The caller deletes
    ``evidence.file`` if its transaction fails afterwards (a file is not rolled back)."""
    evidence = Evidence(
        path=path,
        block=block,
        kind=kind,
        original_name=(uploaded_file.name or "document")[-255:],
        content_type=mime,
        size=uploaded_file.size,
        sha256=sha256,
        uploaded_by=by,
        **links,
    )
    evidence.file.save(f"upload.{EVIDENCE_TYPES[mime]}", uploaded_file, save=False)
    try:
        evidence.save()
        audit_record(subject=path, action="evidence.upload", by=by, changes={"evidence": evidence.pk, "kind": kind})
    except Exception:
        delete_stored_file(evidence)
        raise
    return evidence


def delete_stored_file(evidence: Evidence | None) -> None:
    if evidence is not None and evidence.file.name:
        evidence.file.storage.delete(evidence.file.name)


def evidence_upload(*, path, by, uploaded_file, kind: str, block=None) -> Evidence:
    """PDF, JPEG or PNG only, recognised by content (a renamed file is refused), within the
    size limit; stored under MEDIA_ROOT with a random name, never under static."""
    policy.require(by, "path.upload_evidence", path)
    if path.is_final:
        raise RuleViolation(_("A closed path accepts no more documents."), code="path_closed")
    if kind not in EvidenceKind.values:
        raise RuleViolation(_("Choose the kind of document."), code="kind", field="kind")
    if block is not None and block.version_id != path.version_id:
        raise RuleViolation(
            _("This block is not in the path's référentiel."), code="block_not_in_version", field="block"
        )
    mime, sha256 = evidence_check(uploaded_file)
    evidence = None
    try:
        with transaction.atomic():
            evidence = store_evidence(
                path=path, by=by, uploaded_file=uploaded_file, kind=kind, mime=mime, sha256=sha256, block=block
            )
    except Exception:
        # Nothing of a refused upload stays behind, not even the file.
        delete_stored_file(evidence)
        raise
    return evidence
