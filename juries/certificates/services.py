"""Every write on certificates: issuing after the award date, rendering, revocation,
re-issue, retries. Keyword-only, atomic, audited; the PDF is made by a Celery task queued
after commit."""

import hashlib
import logging
from collections import defaultdict
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from cqp_portal import policy
from cqp_portal.audit.services import audit_record, audit_record_many
from cqp_portal.errors import Conflict, RuleViolation
from cqp_portal.tasks import enqueue_on_commit
from juries.certificates.models import Certificate, CertificateKind, CertificateState, pdf_upload_to
from juries.certificates.numbering import allocate_numbers, new_verification_code
from juries.certificates.signing import SealError, pades

logger = logging.getLogger(__name__)

# A certificate still pending this long after being queued is queued again by the sweeper.
PENDING_REQUEUE_MINUTES = 5
# Rows per INSERT when a session's certificates are written in bulk.
BULK_BATCH = 500


# --- issuing -------------------------------------------------------------------------------


def _decision_models():
    from juries.models import Decision, DecisionState, Outcome

    return Decision, DecisionState, Outcome


def _wanted_documents(decision, block_decisions) -> list[tuple[str, object, list]]:
    """(kind, block, listed blocks) the decision gives right to (domain.md "Certificate")."""
    _d, _s, Outcome = _decision_models()
    validated = [bd.block for bd in block_decisions if bd.validated]
    held_or_validated = [bd.block for bd in block_decisions if bd.validated or bd.held]
    wanted = []
    if decision.outcome == Outcome.TOTAL:
        wanted.append((CertificateKind.CERTIFICATE, None, held_or_validated))
    elif decision.outcome == Outcome.PARTIAL:
        wanted.append((CertificateKind.PARTIAL_ATTESTATION, None, validated))
    else:
        return []
    certification = decision.dossier.path.certification
    if certification.issue_block_attestations:
        wanted.extend((CertificateKind.BLOCK_ATTESTATION, block, [block]) for block in validated)
    return wanted


def _signatory(session) -> tuple[str, str]:
    president = next((m for m in session.members.all() if m.is_president), None)
    if president is not None:
        return str(president.user), _("President of the jury")
    if session.ratified_by_id:
        return str(session.ratified_by), _("For the CPNE, authorised person")
    return "", ""


def _certifier_name(certification) -> str:
    if certification.commission_id:
        return certification.commission.name
    return certification.certifier_names or "CPNE"


def _snapshot(*, path, certification, session, signatory: tuple[str, str] | None = None) -> dict:
    candidate = path.candidate
    registration = certification.registration_or_none
    signatory_name, signatory_title = signatory if signatory is not None else _signatory(session)
    return {
        "holder_birth_name": candidate.birth_name,
        "holder_usage_name": candidate.usage_name,
        "holder_first_names": candidate.first_names,
        "holder_sex": candidate.sex,
        "holder_birth_date": candidate.birth_date,
        "holder_birth_place_code": candidate.birth_place_code,
        "holder_birth_place_code_kind": candidate.birth_place_code_kind,
        "holder_birth_place_name": candidate.birth_place_name,
        "holder_birth_country": candidate.birth_country,
        "certification_title": certification.title,
        "certification_kind": certification.kind,
        "register": registration.register if registration else "",
        "registration_number": registration.number if registration else "",
        "registration_level": registration.level if registration else None,
        "registration_decision_date": registration.decision_date if registration else None,
        "nsf_codes": list(certification.nsf_codes or []),
        "certifier_name": _certifier_name(certification),
        "branch_names": [f"{b.name} (IDCC {b.idcc})" for b in certification.branches.all()],
        "signatory_name": signatory_name,
        "signatory_title": signatory_title,
        "award_place": session.place or _("by videoconference"),
    }


def _create_certificate(*, kind, path, certification, decision, block, blocks, award_date, snapshot, by, **extra):
    """One new document (a re-issue): numbered, saved, audited and queued like a batch of one."""
    certificate = _new_certificate(
        kind=kind,
        path=path,
        certification=certification,
        decision=decision,
        block=block,
        award_date=award_date,
        snapshot=snapshot,
        by=by,
        **extra,
    )
    _save_new_certificates([(certificate, blocks)], by=by)
    return certificate


def _new_certificate(*, kind, path, certification, decision, block, award_date, snapshot, by, **extra) -> Certificate:
    """An unsaved certificate; ``_save_new_certificates`` numbers and inserts it."""
    return Certificate(
        kind=kind,
        path=path,
        certification=certification,
        decision=decision,
        block=block,
        year=award_date.year,
        verification_code=new_verification_code(),
        award_date=award_date,
        queued_at=timezone.now(),
        created_by=by if getattr(by, "is_authenticated", False) else None,
        **snapshot,
        **extra,
    )


def _save_new_certificates(new: list[tuple[Certificate, list]], *, by) -> None:
    """Number, insert, audit and queue new certificates in bulk, in the caller's transaction.

    Numbers are taken per series (certification, year) in one locked block, in the order of
    ``new``: consecutive, gapless and in issuing order, as one at a time would give them. The
    counters are locked in a fixed order, so two batches never wait on each other in a cycle."""
    if not new:
        return
    series: dict[tuple[int, int], list[Certificate]] = defaultdict(list)
    for certificate, _blocks in new:
        series[(certificate.certification_id, certificate.year)].append(certificate)
    for (_certification_id, year), certificates in sorted(series.items(), key=lambda item: item[0]):
        numbers = allocate_numbers(certification=certificates[0].certification, year=year, count=len(certificates))
        for certificate, (sequence, number) in zip(certificates, numbers, strict=True):
            certificate.sequence, certificate.number = sequence, number
    Certificate.objects.bulk_create([certificate for certificate, _blocks in new], batch_size=BULK_BATCH)
    through = Certificate.blocks.through
    through.objects.bulk_create(
        [through(certificate_id=c.pk, skillblock_id=block.pk) for c, blocks in new for block in blocks],
        batch_size=BULK_BATCH,
    )
    audit_record_many(
        subjects=[certificate for certificate, _blocks in new],
        action="certificate.create",
        by=by,
        to_state=CertificateState.PENDING,
        batch_size=BULK_BATCH,
    )
    for certificate, _blocks in new:
        _enqueue_render(certificate.pk)


def _enqueue_render(certificate_id: int) -> None:
    """Queued after commit. A broker outage at that moment does not fail the committed award
    (``enqueue_on_commit`` logs it): the sweeper queues the pending certificate again."""
    from juries.certificates.tasks import certificate_render

    enqueue_on_commit(certificate_render, certificate_id)


def _slot(kind: str, block_id) -> tuple:
    """A full certificate replaces a partial attestation (and back) after a correction."""
    return ("main", None) if kind != CertificateKind.BLOCK_ATTESTATION else (kind, block_id)


def _decisions_for_issue():
    """Current final decisions, locked (a double click or a retried task waits, then finds the
    documents made), with everything the documents show in the same query or one per relation."""
    from juries.models import BlockDecision

    Decision, _s, _o = _decision_models()
    return (
        Decision.objects.select_for_update(of=("self",))
        .select_related(
            "dossier__session__ratified_by",
            "dossier__path__candidate",
            "dossier__path__certification__commission",
            "dossier__path__certification__registration",
        )
        .prefetch_related(
            Prefetch(
                "block_decisions",
                queryset=BlockDecision.objects.select_related("block").order_by("block__order", "block_id"),
            ),
            "dossier__path__certification__branches",
        )
    )


def _issue(decisions: list, *, by) -> list[Certificate]:
    """The documents the locked ``decisions`` (one session) give right to; those already made
    are returned as they are. Documents of a superseded decision are revoked and replaced."""
    if not decisions:
        return []
    decision_ids = [d.pk for d in decisions]
    live: dict[int, dict] = defaultdict(dict)
    for c in Certificate.objects.filter(decision_id__in=decision_ids).exclude(state=CertificateState.REVOKED):
        live[c.decision_id][(c.kind, c.block_id)] = c
    # A corrected decision replaces the documents of the one it supersedes (new numbers).
    previous: dict[int, dict] = defaultdict(dict)
    superseded = [d.supersedes_id for d in decisions if d.supersedes_id]
    if superseded:
        for c in (
            Certificate.objects.select_for_update()
            .filter(decision_id__in=superseded)
            .exclude(state=CertificateState.REVOKED)
            .order_by("pk")
        ):
            previous[c.decision_id][_slot(c.kind, c.block_id)] = c
    session = decisions[0].dossier.session
    signatory = _signatory(session)
    result, new = [], []
    for decision in decisions:
        path = decision.dossier.path
        certification = path.certification
        wanted = _wanted_documents(decision, list(decision.block_decisions.all()))
        snapshot = (
            _snapshot(path=path, certification=certification, session=session, signatory=signatory) if wanted else {}
        )
        replaced = previous.pop(decision.supersedes_id, {}) if decision.supersedes_id else {}
        for kind, block, blocks in wanted:
            key = (kind, block.pk if block else None)
            if key in live[decision.pk]:
                result.append(live[decision.pk][key])
                continue
            old = replaced.pop(_slot(*key), None)
            extra = {}
            if old is not None:
                _revoke_locked(old, by=by, reason=_("Replaced after a correction of the jury decision."))
                extra = {"supersedes": old, "award_ref": old.award_ref}
            certificate = _new_certificate(
                kind=kind,
                path=path,
                certification=certification,
                decision=decision,
                block=block,
                award_date=session.award_date,
                snapshot=snapshot,
                by=by,
                **extra,
            )
            new.append((certificate, blocks))
            result.append(certificate)
        # Documents of the old decision the new one no longer gives right to (e.g. TOTAL → PARTIAL).
        for old in replaced.values():
            _revoke_locked(old, by=by, reason=_("Withdrawn after a correction of the jury decision."))
    _save_new_certificates(new, by=by)
    return result


def _check_issuable(decision) -> None:
    _d, DecisionState, _o = _decision_models()
    if decision.state != DecisionState.FINAL or not decision.is_current:
        raise RuleViolation(
            _("Certificates are issued from the current final decision only."), code="decision_not_final"
        )
    if decision.dossier.session.award_date is None:
        raise RuleViolation(
            _("Certificates are issued once the award date is set (close or ratification)."), code="no_award_date"
        )


@transaction.atomic
def certificate_issue_for_decision(*, decision, by=None) -> list[Certificate]:
    """The documents a final decision gives right to, created once (calling it again creates
    nothing). Called by the jury service that sets the award date, which checked who may."""
    decision = _decisions_for_issue().get(pk=decision.pk)
    _check_issuable(decision)
    return _issue([decision], by=by)


@transaction.atomic
def certificates_issue_for_session(*, session, by=None) -> list[Certificate]:
    """Issue for every current final decision of the session (the hook of the jury service
    that sets ``award_date``). Idempotent. One batch: the decisions are locked in one query,
    each certification's numbers taken in one locked block, rows and audit entries inserted
    in bulk, and the render tasks queued when the transaction commits."""
    _D, DecisionState, _o = _decision_models()
    if session.award_date is None:
        raise RuleViolation(
            _("Certificates are issued once the award date is set (close or ratification)."), code="no_award_date"
        )
    decisions = list(
        _decisions_for_issue()
        .filter(dossier__session=session, state=DecisionState.FINAL, is_current=True)
        .order_by("dossier_id", "pk")
    )
    for decision in decisions:
        _check_issuable(decision)
    return _issue(decisions, by=by)


# --- rendering (called by the Celery task) -----------------------------------------------------


def _for_render():
    return Certificate.objects.select_related("path__candidate", "certification", "block").prefetch_related("blocks")


def certificate_render(*, certificate_id: int) -> bool:
    """Render and store the PDF of a pending certificate, then mark it issued. Safe to run
    twice or concurrently: only the first to lock the row after rendering stores a file."""
    from juries.certificates import pdf

    certificate = _for_render().filter(pk=certificate_id).first()
    if certificate is None or certificate.state != CertificateState.PENDING:
        return False
    # Rendering and sealing (the slow parts) happen without holding any lock. The seal is a
    # bytes -> bytes step: a failure leaves the certificate pending, never issued unsealed.
    try:
        content = pades.seal_pdf(pdf.render_certificate(certificate), reason=_seal_reason(certificate))
    except SealError as exc:
        certificate_record_failure(certificate_id=certificate_id, error=str(exc))
        raise
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate_id)
        if locked.state != CertificateState.PENDING:
            return False
        name = pdf_upload_to(locked, "")
        if default_storage.exists(name):  # left by a worker killed after writing, before commit
            default_storage.delete(name)
        locked.pdf.name = default_storage.save(name, ContentFile(content))
        locked.sha256 = digest
        locked.issued_at = timezone.now()
        locked.attempts += 1
        locked.error = ""
        locked.issue()
        locked.save()
        audit_record(
            subject=locked,
            action="certificate.issue",
            from_state=CertificateState.PENDING,
            to_state=CertificateState.ISSUED,
            changes={"sha256": digest},
        )
    return True


def _seal_reason(certificate) -> str:
    # Shown by PDF readers next to the seal: French, like the document.
    with translation.override("fr"):
        return f"{certificate.get_kind_display()} n° {certificate.number}, sceau du certificateur"


def certificate_record_failure(*, certificate_id: int, error: str) -> None:
    """Called by the task's failure hook: the progress bar lists it, the retry button re-queues."""
    Certificate.objects.filter(pk=certificate_id, state=CertificateState.PENDING).update(
        error=error[:2000], attempts=F("attempts") + 1
    )


def _requeue(queryset) -> int:
    ids = list(queryset.values_list("pk", flat=True))
    if ids:
        Certificate.objects.filter(pk__in=ids).update(queued_at=timezone.now())
        for pk in ids:
            _enqueue_render(pk)
    return len(ids)


@transaction.atomic
def certificates_requeue_pending(*, older_than_minutes: int = PENDING_REQUEUE_MINUTES) -> int:
    """The sweeper: certificates still pending a while after being queued (broker down at
    commit time, worker lost) are queued again; rendering twice is harmless."""
    limit = timezone.now() - timedelta(minutes=older_than_minutes)
    stale = Certificate.objects.select_for_update(skip_locked=True).filter(state=CertificateState.PENDING)
    stale = stale.filter(queued_at__lte=limit) | stale.filter(queued_at__isnull=True)
    count = _requeue(stale)
    if count:
        logger.info("re-queued %s pending certificate(s)", count)
    return count


@transaction.atomic
def certificates_retry(*, session, by) -> int:
    """The retry button of the session's progress bar: every pending document is queued again."""
    policy.require(by, "certificate.retry", session)
    pending = Certificate.objects.filter(decision__dossier__session=session, state=CertificateState.PENDING)
    count = _requeue(pending)
    Certificate.objects.filter(pk__in=pending.values("pk")).update(error="")
    audit_record(subject=session, action="certificates.retry", by=by, note=f"{count}")
    return count


# --- revocation and re-issue ----------------------------------------------------------------


def _revoke_locked(certificate, *, by, reason: str) -> None:
    from_state = certificate.state
    try:
        certificate.revoke()
        certificate.revoked_at = timezone.now()
        certificate.revocation_reason = reason
        certificate.revoked_by = by if getattr(by, "is_authenticated", False) else None
        certificate.save()
    except (ConcurrentTransition, TransitionNotAllowed) as exc:
        raise Conflict() from exc
    audit_record(
        subject=certificate,
        action="certificate.revoke",
        by=by,
        from_state=from_state,
        to_state=CertificateState.REVOKED,
        note=reason,
    )


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("A revocation needs a reason."), code="reason_required", field="reason")
    return reason


@transaction.atomic
def certificate_revoke(*, certificate, by, reason: str) -> Certificate:
    """Revoked, never deleted: the verification page says so with the date and the reason
    (domain.md "Certificates"). The PDF is kept."""
    reason = _clean_reason(reason)
    locked = Certificate.objects.select_for_update().select_related("certification").get(pk=certificate.pk)
    policy.require(by, "certificate.revoke", locked)
    if locked.state == CertificateState.REVOKED:
        raise RuleViolation(_("This certificate is already revoked."), code="already_revoked")
    _revoke_locked(locked, by=by, reason=reason)
    return locked


@transaction.atomic
def certificates_revoke(*, certificates, by, reason: str) -> list[Certificate]:
    """Bulk revocation: all or nothing (one refused certificate refuses the batch)."""
    reason = _clean_reason(reason)
    ids = sorted({c.pk for c in certificates})
    if not ids:
        raise RuleViolation(_("Select at least one certificate."), code="nothing_selected", field="certificates")
    locked = list(
        Certificate.objects.select_for_update(of=("self",))
        .select_related("certification")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    for certificate in locked:
        policy.require(by, "certificate.revoke", certificate)
        if certificate.state == CertificateState.REVOKED:
            raise RuleViolation(
                _("Certificate %(number)s is already revoked.") % {"number": certificate.number},
                code="already_revoked",
            )
    for certificate in locked:
        _revoke_locked(certificate, by=by, reason=reason)
    return locked


@transaction.atomic
def certificate_reissue(*, certificate, by, reason: str) -> Certificate:
    """After a correction (holder's identity, register data): the old document is revoked
    and a new one, with a new number, supersedes it. Same award, same CDC idTechnique."""
    reason = _clean_reason(reason)
    old = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("path__candidate", "certification__commission", "decision__dossier__session")
        .get(pk=certificate.pk)
    )
    policy.require(by, "certificate.reissue", old)
    if old.state != CertificateState.ISSUED:
        raise RuleViolation(_("Only an issued certificate can be re-issued."), code="not_issued")
    blocks = list(old.blocks.all())
    # The signatory and the place stay those of the award; identity and register are re-read.
    snapshot = _copy_snapshot(old)
    if old.decision_id:
        fresh = _snapshot(path=old.path, certification=old.certification, session=old.decision.dossier.session)
        snapshot.update({k: v for k, v in fresh.items() if k not in AWARD_FIELDS})
    _revoke_locked(old, by=by, reason=reason)
    return _create_certificate(
        kind=old.kind,
        path=old.path,
        certification=old.certification,
        decision=old.decision,
        block=old.block,
        blocks=blocks,
        award_date=old.award_date,
        snapshot=snapshot,
        by=by,
        supersedes=old,
        award_ref=old.award_ref,
    )


AWARD_FIELDS = ("signatory_name", "signatory_title", "award_place")
SNAPSHOT_FIELDS = (
    "holder_birth_name",
    "holder_usage_name",
    "holder_first_names",
    "holder_sex",
    "holder_birth_date",
    "holder_birth_place_code",
    "holder_birth_place_code_kind",
    "holder_birth_place_name",
    "holder_birth_country",
    "certification_title",
    "certification_kind",
    "register",
    "registration_number",
    "registration_level",
    "registration_decision_date",
    "nsf_codes",
    "certifier_name",
    "branch_names",
    "signatory_name",
    "signatory_title",
    "award_place",
)


def _copy_snapshot(certificate) -> dict:
    return {name: getattr(certificate, name) for name in SNAPSHOT_FIELDS}


# --- CDC export jobs (the board's export, run by a task with a progress bar) ---------------------


def cdc_job_progress_key(job_id: int) -> str:
    return f"certificates:cdc-export-job:{job_id}:progress"


def cdc_export_job_create(*, by, certification_code: str = "", since=None):
    """Record the export asked from the board and queue it; the job page follows it."""
    from juries.certificates import tasks
    from juries.certificates.models import CdcExportJob

    policy.require(by, "cdc.export")
    with transaction.atomic():
        job = CdcExportJob.objects.create(created_by=by, certification_code=certification_code or "", since=since)
        audit_record(subject=job, action="cdc.export_job.create", by=by, to_state=job.state)
        enqueue_on_commit(tasks.cdc_export_run, job.pk)
    return job


def _job_summary(result) -> dict:
    return {
        "files": [
            {
                "export_id": export.pk,
                "id_flux": export.id_flux,
                "certifier": export.certifier.commission.name,
                "awards": export.certificates.count(),
            }
            for export in result.exports
        ],
        "exported": sum(export.certificates.count() for export in result.exports),
        "excluded": [
            {
                "number": award.certificate.number,
                "holder": award.certificate.holder_name,
                "problems": [str(p) for p in award.problems],
            }
            for award in result.excluded
        ],
    }


def _job_end(job_id: int, *, summary: dict | None = None, error: str = "") -> None:
    from juries.certificates.models import CdcExportJob

    with transaction.atomic():
        job = CdcExportJob.objects.select_for_update().get(pk=job_id)
        from_state = job.state
        if summary is not None:
            job.finish()
            job.summary = summary
            job.total = job.done = len(summary["excluded"]) + summary["exported"]
        else:
            job.fail()
            job.error = error[:2000]
        job.finished_at = timezone.now()
        job.save()
        audit_record(
            subject=job,
            action=f"cdc.export_job.{job.state}",
            by=job.created_by,
            from_state=from_state,
            to_state=job.state,
        )


def _job_may_start(job) -> bool:
    """Queued; or running for longer than a task may live (its worker died, the task was
    delivered again): the export is one transaction, so the dead run wrote nothing."""
    from django.conf import settings

    from juries.certificates.models import CdcExportJobState

    if job.state == CdcExportJobState.QUEUED:
        return True
    limit = timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 300) or 300)
    running = job.state == CdcExportJobState.RUNNING
    return running and job.started_at is not None and job.started_at < timezone.now() - limit


def cdc_export_job_run(*, job_id: int) -> bool:
    """Run a queued job once (a second delivery of the task finds it started and does nothing).

    The export itself is one transaction, so its progress is invisible in the database until
    it commits: the progress goes to the cache, which the job page reads while it runs."""
    from django.core.cache import cache

    from cqp_portal.errors import DomainError
    from juries.certificates import cdc
    from juries.certificates.models import CdcExportJob

    with transaction.atomic():
        job = CdcExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not _job_may_start(job):
            return False
        job.start()
        job.started_at = timezone.now()
        job.save()

    key = cdc_job_progress_key(job.pk)

    def progress(done: int, total: int) -> None:
        cache.set(key, [done, total], timeout=3600)

    try:
        if job.created_by is None:
            raise RuleViolation(_("The person who asked for this export no longer has an account."), code="cdc_no_user")
        result = cdc.cdc_export(
            by=job.created_by, certification_code=job.certification_code, since=job.since, progress=progress
        )
    except DomainError as exc:
        _job_end(job.pk, error=str(exc.message))
        cache.delete(key)
        return False
    except Exception as exc:  # recorded on the job for the person waiting on the page, then logged
        logger.exception("CDC export job %s failed", job.pk)
        error = _("Unexpected error (%(kind)s): the export was not written.") % {"kind": type(exc).__name__}
        _job_end(job.pk, error=error)
        cache.delete(key)
        return False
    _job_end(job.pk, summary=_job_summary(result))
    cache.delete(key)
    return True
