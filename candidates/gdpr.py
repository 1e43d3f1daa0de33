"""Personal data of candidates (GDPR): the download of everything about oneself (art. 15 and
20), anonymisation by staff (art. 17), and the retention periods applied every night
(art. 5.1.e, storage limitation).

What anonymisation keeps: the certification register. Each certificate carries its own
snapshot of the holder as awarded (number, title, date, holder identity), which the
certifier must keep to answer verifications (Code du travail, art. R6113-16 ff.) and which
the public verification page shows; paths, assessments and decisions stay as facts about an
anonymous person.
"""

import datetime
import io
import json
import logging
import zipfile

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone

from candidates.models import (
    FINAL_PATH_STATES,
    BlockAssessment,
    Candidate,
    CompetencySelfAssessment,
    CriterionResult,
    Evidence,
    ExperienceRecord,
    Path,
    PathBlock,
)
from cqp_portal import policy
from cqp_portal.audit.models import AuditEntry
from cqp_portal.audit.services import audit_record

logger = logging.getLogger(__name__)

ANONYMOUS_NAME = "Anonyme"
# Identity fields blanked by anonymisation (the rest of the row is not personal).
IDENTITY_BLANKS = {
    "usage_name": "",
    "birth_date": None,
    "birth_place_code": "",
    "birth_place_code_kind": "",
    "birth_place_name": "",
    "email": "",
    "phone": "",
    "address": "",
    "employer_name": "",
    "employer_siret": "",
    "highest_degree_level": None,
}


def _row(obj, *, exclude=()) -> dict:
    """Every concrete field of ``obj`` (foreign keys as ids, files as their name)."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        value = getattr(obj, field.attname)
        if isinstance(field, models.FileField):
            value = value.name if value else ""
        data[field.name] = value
    return data


def _audit_entries_about(candidate, paths, extra_subjects) -> list[dict]:
    subjects = [(candidate, [candidate.pk])]
    subjects.append((Path, [p.pk for p in paths]))
    subjects.extend(extra_subjects)
    q = Q(pk__in=[])
    for model, pks in subjects:
        if not pks:
            continue
        content_type = ContentType.objects.get_for_model(model)
        q |= Q(content_type=content_type, object_id__in=[str(pk) for pk in pks])
    entries = AuditEntry.objects.filter(q).select_related("content_type").order_by("at", "pk")
    return [
        {
            "subject": f"{e.content_type.app_label}.{e.content_type.model}",
            "object_id": e.object_id,
            "action": e.action,
            "from": e.from_state,
            "to": e.to_state,
            "at": e.at,
            "note": e.note,
            "changes": e.changes,
        }
        for e in entries
    ]


def candidate_data(candidate: Candidate) -> dict:
    """Everything the portal holds about ``candidate`` (what the export writes as JSON)."""
    from financing.models import FundingLine
    from juries.models import Decision

    paths = list(Path.objects.filter(candidate=candidate).select_related("certification").order_by("pk"))
    path_ids = [p.pk for p in paths]
    user = candidate.user
    assessments = list(BlockAssessment.objects.filter(path__in=path_ids).select_related("block").order_by("pk"))
    results = CriterionResult.objects.filter(assessment__in=assessments).order_by("pk")
    # The jury's working drafts are not the candidate's: final decisions only (as on their pages).
    decisions = list(
        Decision.objects.filter(dossier__path__in=path_ids, state="final").prefetch_related("block_decisions")
    )
    lines = list(FundingLine.objects.filter(path__in=path_ids).order_by("pk"))
    evidence = list(Evidence.objects.filter(path__in=path_ids).order_by("pk"))
    certificates = []
    extra_subjects = [(FundingLine, [line.pk for line in lines]), (Decision, [d.pk for d in decisions])]
    try:
        from juries.certificates.models import Certificate
    except ImportError:  # certificates app absent
        Certificate = None
    if Certificate is not None:
        certificates = list(Certificate.objects.filter(path__in=path_ids).order_by("pk"))
        extra_subjects.append((Certificate, [c.pk for c in certificates]))
    return {
        "generated_at": timezone.now(),
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "language": user.language,
        }
        if user
        else None,
        "identity": _row(candidate, exclude=("user", "created_by")),
        "paths": [_row(p) | {"certification_title": p.certification.title} for p in paths],
        "positionings": [_row(pb) for pb in PathBlock.objects.filter(path__in=path_ids).order_by("pk")],
        "self_assessments": [
            _row(sa) for sa in CompetencySelfAssessment.objects.filter(path_block__path__in=path_ids).order_by("pk")
        ],
        "assessments": [_row(a, exclude=("evaluator",)) | {"block_code": a.block.code} for a in assessments],
        "criterion_results": [_row(r) for r in results],
        "decisions": [
            _row(d, exclude=("decided_by", "updated_by")) | {"blocks": [_row(b) for b in d.block_decisions.all()]}
            for d in decisions
        ],
        "funding_lines": [_row(line, exclude=("decided_by", "created_by")) for line in lines],
        "certificates": [_row(c) for c in certificates],
        "evidence": [_row(e, exclude=("uploaded_by",)) for e in evidence],
        "experience_records": [
            _row(r) | {"block_codes": [b.code for b in r.blocks.all()]}
            for r in ExperienceRecord.objects.filter(path__in=path_ids).prefetch_related("blocks").order_by("pk")
        ],
        "audit": _audit_entries_about(candidate, paths, extra_subjects),
    }


def candidate_export_zip(*, candidate: Candidate, by) -> bytes:
    """A zip of ``donnees.json`` and the evidence files (``pieces/<id>-<original name>``)."""
    policy.require(by, "candidate.export_data", candidate)
    data = candidate_data(candidate)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("donnees.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for evidence in Evidence.objects.filter(path__candidate=candidate).order_by("pk"):
            try:
                with evidence.file.open("rb") as handle:
                    archive.writestr(f"pieces/{evidence.pk}-{evidence.original_name}", handle.read())
            except FileNotFoundError:
                logger.warning("evidence file %s missing from storage", evidence.pk)
    audit_record(subject=candidate, action="candidate.export_data", by=by)
    return buffer.getvalue()


def _erase_evidence(queryset) -> int:
    """Delete the rows now and the files once the transaction commits (a rollback keeps both)."""
    names = [e.file.name for e in queryset if e.file]
    count = queryset.count()
    queryset.delete()
    storage = Evidence._meta.get_field("file").storage

    def remove_files():
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("could not delete an evidence file")

    transaction.on_commit(remove_files)
    return count


def _anonymise(candidate: Candidate, *, by, reason: str) -> Candidate:
    locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if locked.anonymised_at is not None:
        return locked
    for name, value in IDENTITY_BLANKS.items():
        setattr(locked, name, value)
    locked.birth_name = ANONYMOUS_NAME
    locked.first_names = f"#{locked.pk}"
    locked.anonymised_at = timezone.now()
    locked.save()
    evidence_count = _erase_evidence(Evidence.objects.filter(path__candidate=locked))
    # The VAE experience names employers and places: it goes with the identity.
    experience = ExperienceRecord.objects.filter(path__candidate=locked)
    experience_count = experience.count()
    experience.delete()
    user = locked.user
    if user is not None:
        from rest_framework.authtoken.models import Token

        user.email = f"anonyme-{user.pk}@invalid"
        user.first_name = user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        Token.objects.filter(user=user).delete()
        user.access_tokens.all().delete()  # personal access tokens (their names may be personal)
        try:
            from django_otp.plugins.otp_static.models import StaticDevice
            from django_otp.plugins.otp_totp.models import TOTPDevice

            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
        except ImportError:
            pass
    audit_record(
        subject=locked,
        action="candidate.anonymise",
        by=by,
        note=reason,
        changes={
            "evidence_erased": evidence_count,
            "experience_erased": experience_count,
            "account_deactivated": user is not None,
        },
    )
    return locked


def candidate_anonymise(*, candidate: Candidate, by, reason: str = "") -> Candidate:
    """Staff erase a candidate's identity and evidence and close their account; the
    certificates (register) and the anonymous history stay."""
    with transaction.atomic():
        policy.require(by, "candidate.anonymise", candidate)
        return _anonymise(candidate, by=by, reason=reason.strip())


# --- retention ---------------------------------------------------------------------------------


def _last_activity():
    """Per path: the time of its last audited event (a path without audit rows: its update)."""
    path_type = ContentType.objects.get_for_model(Path)
    return {
        int(row["object_id"]): row["last"]
        for row in AuditEntry.objects.filter(content_type=path_type)
        .values("object_id")
        .annotate(last=Max("at"))
        .order_by()
    }


def apply_retention(*, now: datetime.datetime | None = None) -> dict:
    """Erase the evidence of paths final for EVIDENCE_RETENTION_DAYS; anonymise candidates
    inactive for INACTIVE_CANDIDATE_RETENTION_DAYS (every path final or none, no login)."""
    now = now or timezone.now()
    evidence_limit = now - datetime.timedelta(days=settings.EVIDENCE_RETENTION_DAYS)
    inactive_limit = now - datetime.timedelta(days=settings.INACTIVE_CANDIDATE_RETENTION_DAYS)
    last = _last_activity()

    final_paths = Path.objects.filter(state__in=FINAL_PATH_STATES, evidence__isnull=False).distinct()
    expired_paths = [p.pk for p in final_paths if max(filter(None, [last.get(p.pk), p.updated_at])) < evidence_limit]
    with transaction.atomic():
        evidence_erased = _erase_evidence(Evidence.objects.filter(path__in=expired_paths))

    anonymised = 0
    candidates = (
        Candidate.objects.filter(anonymised_at__isnull=True, created_at__lt=inactive_limit)
        .exclude(paths__in=Path.objects.exclude(state__in=FINAL_PATH_STATES))
        .exclude(user__last_login__gte=inactive_limit)
        .prefetch_related("paths")
    )
    for candidate in candidates:
        activity = [last.get(p.pk) or p.updated_at for p in candidate.paths.all()]
        if any(moment >= inactive_limit for moment in activity):
            continue
        with transaction.atomic():
            _anonymise(candidate, by=None, reason="retention")
        anonymised += 1
    if evidence_erased or anonymised:
        logger.info("retention: %s evidence files erased, %s candidates anonymised", evidence_erased, anonymised)
    return {"evidence_erased": evidence_erased, "candidates_anonymised": anonymised}
