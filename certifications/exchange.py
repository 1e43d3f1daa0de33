"""JSON export and import of one référentiel version.

``version_content`` is the canonical, comparable form of a version's content (activities and
blocks with their competencies, modalities and criteria, in order): the JSON export, the copy
into a new draft, the register import and the diff all use it, so "identical" means one thing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from certifications.models import (
    Activity,
    Certification,
    Competency,
    Criterion,
    EvaluationModality,
    ModalityKind,
    ReferentialVersion,
    SkillBlock,
)
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation

FORMAT = "cqp-portal/referential-version"
FORMAT_VERSION = 1


def version_content(version: ReferentialVersion) -> dict:
    blocks = version.blocks.prefetch_related("competencies", "modalities", "criteria").order_by("order", "pk")
    return {
        "activities": [
            {"title": a.title, "description": a.description} for a in version.activities.order_by("order", "pk")
        ],
        "blocks": [
            {
                "code": b.code,
                "title": b.title,
                "mandatory": b.mandatory,
                "description": b.description,
                "competencies": [c.text for c in b.competencies.all()],
                "modalities": [{"kind": m.kind, "description": m.description} for m in b.modalities.all()],
                "criteria": [c.text for c in b.criteria.all()],
            }
            for b in blocks
        ],
    }


def write_content(version: ReferentialVersion, content: dict) -> None:
    """Write ``content`` into the (draft, empty) ``version`` in a few bulk inserts."""
    Activity.objects.bulk_create(
        Activity(version=version, order=i, title=a["title"], description=a.get("description", ""))
        for i, a in enumerate(content.get("activities", []))
    )
    blocks = SkillBlock.objects.bulk_create(
        SkillBlock(
            version=version,
            order=i,
            code=b["code"],
            title=b["title"],
            mandatory=b.get("mandatory", True),
            description=b.get("description", ""),
        )
        for i, b in enumerate(content.get("blocks", []))
    )
    competencies, modalities, criteria = [], [], []
    for block, data in zip(blocks, content.get("blocks", []), strict=True):
        competencies += [Competency(block=block, order=i, text=t) for i, t in enumerate(data.get("competencies", []))]
        criteria += [Criterion(block=block, order=i, text=t) for i, t in enumerate(data.get("criteria", []))]
        modalities += [
            EvaluationModality(block=block, kind=m["kind"], description=m.get("description", ""))
            for m in data.get("modalities", [])
        ]
    Competency.objects.bulk_create(competencies)
    Criterion.objects.bulk_create(criteria)
    EvaluationModality.objects.bulk_create(modalities)


def export_version(version: ReferentialVersion) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "certification": {
            "code": version.certification.code,
            "kind": version.certification.kind,
            "title": version.certification.title,
        },
        "version": {
            "number": version.number,
            "state": version.state,
            "summary": version.summary,
            "source": version.source,
        },
        **version_content(version),
    }


def validate_document(data) -> dict:
    """Check the shape of an exported document; a clear error names what is wrong."""

    def fail(message):
        raise RuleViolation(message, code="invalid_referential_json")

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        fail(_("This is not an exported référentiel version (format %(format)s expected).") % {"format": FORMAT})
    if data.get("format_version") != FORMAT_VERSION:
        fail(_("Unsupported format version %(version)s.") % {"version": data.get("format_version")})
    if not isinstance(data.get("blocks"), list) or not isinstance(data.get("activities", []), list):
        fail(_("The document has no list of blocks."))
    for index, activity in enumerate(data.get("activities", []), start=1):
        if not isinstance(activity, dict) or not str(activity.get("title", "")).strip():
            fail(_("Activity %(n)s has no title.") % {"n": index})
    for index, block in enumerate(data["blocks"], start=1):
        if not isinstance(block, dict) or not block.get("code") or not block.get("title"):
            fail(_("Block %(n)s has no code or no title.") % {"n": index})
        for key in ("competencies", "criteria"):
            if not all(isinstance(t, str) for t in block.get(key, [])):
                fail(_("Block %(code)s: %(key)s must be a list of texts.") % {"code": block["code"], "key": key})
        for modality in block.get("modalities", []):
            if not isinstance(modality, dict) or modality.get("kind") not in ModalityKind.values:
                fail(_("Block %(code)s has an unknown evaluation modality.") % {"code": block["code"]})
    codes = [b["code"].strip().upper() for b in data["blocks"]]
    if len(codes) != len(set(codes)):
        fail(_("Block codes are not unique."))
    return data


def import_version(*, data: dict, by, certification: Certification | None = None) -> ReferentialVersion:
    """Create a new draft version from an exported document (of the same or another certification)."""
    from certifications import services

    validate_document(data)
    if certification is None:
        certification = Certification.objects.filter(code=data["certification"]["code"]).first()
        if certification is None:
            raise RuleViolation(
                _("No certification with code %(code)s: create it first or name another one.")
                % {"code": data["certification"]["code"]},
                code="unknown_certification",
            )
    with transaction.atomic():
        version = services.version_create_draft(
            certification=certification, by=by, summary=data.get("version", {}).get("summary", "")
        )
        write_content(version, data)
        audit_record(subject=version, action="referential.import_json", by=by, to_state=version.state)
    return version
