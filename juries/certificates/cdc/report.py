"""The CDC's processing report of a deposited flux, imported back (issue 20 point 4).

The report's shape, as the CDC returns it and as depositors read it (Pix's
``get-cpf-import-status-from-xml``): root ``rapport``, the deposited ``nomFichier`` (and
``idFlux``, ``idTraitement``), the accepted passages as ``PassagesOK/idTechnique`` and the
rejected ones as ``PassagesKO/passage`` with ``idTechnique`` and ``messageErreur``. A rejection
saying the passage "existe déjà en base" means the CDC already has it: accepted. Elements are
matched by local name: the CDC declares a namespace prefix it does not always use.
"""

import hashlib
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree

from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation
from juries.certificates.models import CdcExport, CdcPassage, CdcReport, CdcStatus, Certificate

ALREADY_RECORDED = "existe déjà en base"
NO_HOLDER = "aucun titulaire"
SEVERAL_HOLDERS = "plusieurs titulaires"
MAX_REPORT_BYTES = 20 * 1024 * 1024

# Identity fields the CDC matches a holder on (RNIPP): what to check after a "no holder" rejection.
MATCHED_FIELDS = ["birth_name", "first_names", "birth_date", "sex", "birth_place_code", "birth_country"]


@dataclass
class ParsedReport:
    file_name: str
    id_flux: str = ""
    id_traitement: str = ""
    accepted: list[str] = field(default_factory=list)
    # (idTechnique, message): rejections, "already recorded" ones excluded (they are accepted).
    rejected: list[tuple[str, str]] = field(default_factory=list)
    already_recorded: list[str] = field(default_factory=list)


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child_text(element, name: str) -> str:
    for child in element:
        if _local(child) == name:
            return (child.text or "").strip()
    return ""


def parse_report(data: bytes) -> ParsedReport:
    """The report's content; a file that is not a CDC report is refused on the ``file`` field."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise RuleViolation(
            _("This file is not XML: %(error)s") % {"error": exc}, code="cdc_report_invalid", field="file"
        ) from exc
    if _local(root) != "rapport":
        raise RuleViolation(
            _("This file is not a CDC processing report (its root element is not “rapport”)."),
            code="cdc_report_invalid",
            field="file",
        )
    report = ParsedReport(
        file_name=_child_text(root, "nomFichier"),
        id_flux=_child_text(root, "idFlux"),
        id_traitement=_child_text(root, "idTraitement"),
    )
    for element in root.iter():
        name = _local(element)
        if name == "idTechnique" and _local(element.getparent()) == "PassagesOK":
            report.accepted.append((element.text or "").strip())
        elif name == "passage":
            id_technique, message = _child_text(element, "idTechnique"), _child_text(element, "messageErreur")
            if ALREADY_RECORDED in message.lower():
                report.already_recorded.append(id_technique)
            else:
                report.rejected.append((id_technique, message))
    if not report.file_name and not report.id_flux:
        raise RuleViolation(
            _("The report names no deposited file (nomFichier)."), code="cdc_report_invalid", field="file"
        )
    return report


def _flux_id(report: ParsedReport) -> str:
    if report.id_flux:
        return report.id_flux
    name = report.file_name.rsplit("/", 1)[-1]
    return name[:-4] if name.lower().endswith(".xml") else name


@dataclass
class Fix:
    """What to do about one rejection: the advice and the candidate's fields to check."""

    advice: str
    fields: list[str]


FIX_NO_HOLDER = gettext_lazy(
    "No holder matched the identity sent: compare birth name, first names, birth date, sex and birth place "
    "with the holder's identity document, correct the candidate's record, then re-issue the certificate "
    "(it is deposited again with the same idTechnique)."
)
FIX_SEVERAL_HOLDERS = gettext_lazy(
    "Several holders matched: complete the identity (all first names, birth place code and its kind), "
    "then re-issue the certificate or deposit it again."
)
FIX_OTHER = gettext_lazy(
    "Read the CDC's message, correct the record it points to, then re-issue the certificate or deposit it again."
)


def fix_for(message: str) -> Fix:
    lowered = (message or "").lower()
    if NO_HOLDER in lowered:
        return Fix(str(FIX_NO_HOLDER), MATCHED_FIELDS)
    if SEVERAL_HOLDERS in lowered:
        return Fix(str(FIX_SEVERAL_HOLDERS), ["first_names", "birth_place_code", "birth_place_code_kind"])
    return Fix(str(FIX_OTHER), [])


@transaction.atomic
def cdc_report_import(*, data: bytes, by=None) -> CdcReport:
    """Record the report of one of our fluxes and set each award's CDC status. All or nothing:
    an unknown flux, an idTechnique that flux did not carry, or the same report twice is refused
    and nothing is written. ``by=None``: the management command."""
    if by is not None:
        policy.require(by, "cdc.export")
    if len(data) > MAX_REPORT_BYTES:
        raise RuleViolation(_("The report is too large."), code="cdc_report_too_large", field="file")
    parsed = parse_report(data)
    exports = CdcExport.objects.all() if by is None else policy.scope(by, CdcExport)
    export = exports.filter(id_flux=_flux_id(parsed)).first()
    if export is None:
        raise RuleViolation(
            _("This report is about the flux “%(flux)s”, which is not one of your exports.")
            % {"flux": _flux_id(parsed)},
            code="cdc_report_unknown_flux",
            field="file",
        )
    sha256 = hashlib.sha256(data).hexdigest()
    if CdcReport.objects.filter(sha256=sha256).exists():
        raise RuleViolation(
            _("This report has already been imported."), code="cdc_report_already_imported", field="file"
        )
    # The awards of that flux, locked: a re-issue or another import waits for this one.
    certificates = {
        c.award_ref.hex: c
        for c in export.certificates.select_for_update(of=("self",)).only("pk", "award_ref", "cdc_status", "state")
    }
    lines = [(i, True, "") for i in parsed.accepted]
    lines += [(i, True, ALREADY_RECORDED) for i in parsed.already_recorded]
    lines += [(i, False, message) for i, message in parsed.rejected]
    unknown = sorted({i for i, _accepted, _message in lines} - set(certificates))
    if unknown:
        raise RuleViolation(
            _("%(count)s idTechnique(s) of this report were not in the flux %(flux)s: %(ids)s")
            % {"count": len(unknown), "flux": export.id_flux, "ids": ", ".join(unknown[:10])},
            code="cdc_report_unknown_award",
            field="file",
            details=unknown,
        )
    report = CdcReport(
        export=export,
        file_name=parsed.file_name or f"{export.id_flux}.xml",
        id_traitement=parsed.id_traitement[:50],
        sha256=sha256,
        accepted=len(parsed.accepted) + len(parsed.already_recorded),
        rejected=len(parsed.rejected),
        imported_by=by if getattr(by, "is_authenticated", False) else None,
    )
    report.file.save("report.xml", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as exc:  # the same report imported at the same moment by someone else
        raise RuleViolation(
            _("This report has already been imported."), code="cdc_report_already_imported", field="file"
        ) from exc
    CdcPassage.objects.bulk_create(
        [
            CdcPassage(report=report, certificate=certificates[i], id_technique=i, accepted=accepted, message=message)
            for i, accepted, message in lines
        ]
    )
    # Only an award still waiting for this flux's outcome changes: a later deposit of it (after
    # a correction) is not overwritten by an older report read late.
    waiting = [CdcStatus.SENT, CdcStatus.ACCEPTED, CdcStatus.REJECTED]
    for accepted, status in ((True, CdcStatus.ACCEPTED), (False, CdcStatus.REJECTED)):
        for i, _accepted, message in (line for line in lines if line[1] == accepted):
            Certificate.objects.filter(pk=certificates[i].pk, cdc_status__in=waiting).update(
                cdc_status=status, cdc_message=message if not accepted else ""
            )
    audit_record(
        subject=report,
        action="cdc.report_import",
        by=by,
        note=f"{export.id_flux}: {report.accepted} accepted, {report.rejected} rejected",
    )
    return report


def rejected_awards(user=None):
    """Issued awards the CDC rejected and nobody has corrected yet, with their last message."""
    from juries.certificates.cdc.checks import eligible_certificates

    return (
        eligible_certificates(user=user)
        .filter(cdc_status=CdcStatus.REJECTED)
        .select_related("path__candidate")
        .order_by("award_date", "number")
    )


@transaction.atomic
def cdc_redeposit(*, certificate, by) -> Certificate:
    """Put a rejected award back in the next flux as it is (same idTechnique), once what the
    CDC matched on has been corrected outside the certificate (e.g. the CDC's register)."""
    policy.require(by, "cdc.export")
    locked = policy.scope(by, Certificate).select_for_update(of=("self",)).get(pk=certificate.pk)
    if locked.cdc_status != CdcStatus.REJECTED:
        raise RuleViolation(_("Only an award rejected by the CDC can be deposited again."), code="cdc_not_rejected")
    locked.cdc_status = CdcStatus.TO_REDEPOSIT
    locked.save(update_fields=["cdc_status"])
    audit_record(subject=locked, action="cdc.redeposit", by=by, note=locked.cdc_message[:200])
    return locked
