"""Accrochage: awards of RNCP/RS certifications sent to the Caisse des Dépôts as an XML flux
valid against its schema (domain.md "Accrochage": within 3 months, blocks alone are not
sent). One flux per certifier (the schema allows one ``certificateur`` per flux). A flux is
validated with lxml before it is written anywhere: an invalid flux is never offered.
"""

import datetime
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from candidates.models import AccessRoute, add_months
from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation
from juries.certificates.models import CdcCertifier, CdcExport, Certificate, CertificateKind, CertificateState

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "cdc-accrochage-1.1.2.xsd"
NS = "urn:cdc:cpf:pc5:schema:1.0.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SENT_REGISTERS = ("RNCP", "RS")
DUE_MONTHS = 3

# Access route of the path → modaliteAcces of the CDC schema.
MODALITE_ACCES = {
    AccessRoute.INITIAL: "FORMATION_INITIALE_HORS_APPRENTISSAGE",
    AccessRoute.APPRENTICESHIP: "FORMATION_INITIALE_APPRENTISSAGE",
    AccessRoute.CONTINUING: "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
    AccessRoute.PRO_A: "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
    AccessRoute.POE: "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
    AccessRoute.PROFESSIONALISATION: "FORMATION_CONTINUE_CONTRAT_DE_PROFESSIONNALISATION",
    AccessRoute.VAE: "VAE",
    AccessRoute.INDEPENDENT: "CANDIDAT_LIBRE",
}


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def validation_errors(xml: bytes) -> list[str]:
    xsd = schema()
    try:
        document = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [str(exc)]
    if xsd.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


# --- which awards, and what is missing ---------------------------------------------------------


@dataclass
class Award:
    certificate: Certificate
    certifier: CdcCertifier | None
    identity: dict
    cpf_file_number: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def due_date(self) -> datetime.date:
        return add_months(self.certificate.award_date, DUE_MONTHS)

    @property
    def overdue(self) -> bool:
        return self.due_date < timezone.localdate()

    @property
    def exportable(self) -> bool:
        return not self.problems


def eligible_certificates(*, user=None, certification_code: str = "", since=None):
    """Full awards of a certification registered at the RNCP or the RS, still valid.
    Partial awards and block attestations are not sent; branch-only CQPs are not either."""
    qs = Certificate.objects.filter(
        kind=CertificateKind.CERTIFICATE, state=CertificateState.ISSUED, register__in=SENT_REGISTERS
    )
    if user is not None:
        qs = policy.scope(user, Certificate, qs)
    if certification_code:
        qs = qs.filter(certification__code=certification_code)
    if since:
        qs = qs.filter(award_date__gte=since)
    return qs


def not_exported(qs):
    return qs.filter(cdc_exports__isnull=True)


def _certifiers_by_certification(certifications) -> dict[int, CdcCertifier | None]:
    """The certification's CPNE, else the CPNE of its first owning branch that has a CDC account."""
    accounts = {a.commission_id: a for a in CdcCertifier.objects.select_related("commission")}
    result = {}
    for certification in certifications:
        account = accounts.get(certification.commission_id)
        if account is None and certification.commission_id is None:
            for branch in sorted(certification.branches.all(), key=lambda b: b.idcc):
                account = next((accounts[c.pk] for c in branch.commissions.all() if c.pk in accounts), None)
                if account:
                    break
        result[certification.pk] = account
    return result


def _cpf_file_numbers(path_ids) -> dict[int, str]:
    """CPF file number of CPF-funded paths (financing app), sent instead of the identity."""
    try:
        from financing.models import FundingLine, FundingState, Scheme
    except ImportError:  # financing not installed: nothing to add
        return {}
    rows = (
        FundingLine.objects.filter(path_id__in=path_ids, scheme=Scheme.CPF)
        .exclude(cpf_file_number="")
        .exclude(state__in=[FundingState.REFUSED, FundingState.CANCELLED])
        .order_by("path_id", "-pk")
        .values_list("path_id", "cpf_file_number")
    )
    result: dict[int, str] = {}
    for path_id, number in rows:
        result.setdefault(path_id, number)
    return result


def _identity(certificate) -> dict:
    """The snapshot on the certificate, completed from the candidate's current record."""
    candidate = certificate.path.candidate
    pick = lambda snap, current: snap or current or ""  # noqa: E731
    return {
        "birth_name": pick(certificate.holder_birth_name, candidate.birth_name).strip(),
        "usage_name": pick(certificate.holder_usage_name, candidate.usage_name).strip(),
        "first_names": pick(certificate.holder_first_names, candidate.first_names).strip(),
        "sex": pick(certificate.holder_sex, candidate.sex),
        "birth_date": certificate.holder_birth_date or candidate.birth_date,
        "birth_place_code": pick(certificate.holder_birth_place_code, candidate.birth_place_code).strip(),
        "birth_place_name": pick(certificate.holder_birth_place_name, candidate.birth_place_name).strip(),
    }


def identity_problems(identity: dict, *, cpf_file_number: str = "") -> list[str]:
    """What the CDC needs and is missing (domain.md "Accrochage"), said before the export."""
    problems = []
    if not identity["birth_name"]:
        problems.append(_("birth name missing"))
    if not identity["first_names"]:
        problems.append(_("first name missing"))
    if cpf_file_number:
        return problems  # the CPF file identifies the holder
    if identity["birth_date"] is None:
        problems.append(_("birth date missing"))
    elif not 1900 <= identity["birth_date"].year <= 2099:
        problems.append(_("birth year out of range"))
    if identity["sex"] not in ("M", "F"):
        problems.append(_("sex (M/F) missing"))
    if len(identity["birth_place_code"]) != 5:
        problems.append(_("birth place code (INSEE code, 5 characters) missing"))
    return problems


def awards(qs) -> list[Award]:
    certificates = list(
        qs.select_related("path__candidate", "certification__commission").prefetch_related(
            "certification__branches__commissions"
        )
    )
    certifiers = _certifiers_by_certification({c.certification_id: c.certification for c in certificates}.values())
    cpf = _cpf_file_numbers({c.path_id for c in certificates})
    result = []
    for certificate in certificates:
        identity = _identity(certificate)
        award = Award(
            certificate=certificate,
            certifier=certifiers.get(certificate.certification_id),
            identity=identity,
            cpf_file_number=cpf.get(certificate.path_id, ""),
        )
        award.problems = identity_problems(identity, cpf_file_number=award.cpf_file_number)
        if award.certifier is None:
            award.problems.append(_("the certifier (CPNE) has no CDC account configured"))
        result.append(award)
    result.sort(key=lambda a: (a.due_date, a.certificate.number))
    return result


# --- the XML flux -----------------------------------------------------------------------------


def _el(parent, name: str, text=None, *, nil: bool = False):
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    if nil:
        element.set(f"{{{XSI}}}nil", "true")
    elif text is not None:
        element.text = str(text)
    return element


def _first_names(value: str) -> list[str]:
    return [n for n in value.replace(",", " ").split() if n][:3]


def _passage(parent, award: Award) -> None:
    certificate, identity = award.certificate, award.identity
    passage = _el(parent, "passageCertification")
    _el(passage, "idTechnique", certificate.award_ref.hex)  # stable per award, even after a re-issue
    url = certificate.verification_url
    if len(url) <= 255:
        _el(passage, "urlPreuve", url)
    _el(passage, "obtentionCertification", "PAR_ADMISSION")
    _el(passage, "donneeCertifiee", "true")
    _el(passage, "dateDebutValidite", certificate.award_date.isoformat())
    _el(passage, "dateFinValidite", nil=True)  # a CQP is held for good
    _el(passage, "presenceNiveauLangueEuro", "false")
    _el(passage, "presenceNiveauNumeriqueEuro", "false")
    _el(passage, "scoring", nil=True)
    _el(passage, "mentionValidee", nil=True)
    inscription = _el(passage, "modalitesInscription")
    route = certificate.path.access_route
    modalite = MODALITE_ACCES.get(route)
    _el(inscription, "modaliteAcces", modalite, nil=modalite is None)
    if route == AccessRoute.VAE:
        _el(inscription, "voieAccessVAE", "VAE_CLASSIQUE")
    if certificate.path.start_date:
        _el(inscription, "dateInscription", certificate.path.start_date.isoformat())
    holder = _el(passage, "identificationTitulaire")
    first_names = _first_names(identity["first_names"])
    if award.cpf_file_number:
        dossier = _el(holder, "dossierFormation")
        _el(dossier, "idDossier", award.cpf_file_number)
        _el(dossier, "nomTitulaire", (identity["usage_name"] or identity["birth_name"])[:30])
        _el(dossier, "prenom1Titulaire", first_names[0][:20])
        return
    person = _el(holder, "titulaire")
    _el(person, "nomNaissance", identity["birth_name"][:60])
    _el(person, "nomUsage", identity["usage_name"][:60] or None, nil=not identity["usage_name"])
    for index, name in enumerate(first_names, start=1):
        _el(person, f"prenom{index}", name[:60])
    birth = identity["birth_date"]
    _el(person, "anneeNaissance", birth.year)
    _el(person, "moisNaissance", birth.month)
    _el(person, "jourNaissance", birth.day)
    _el(person, "sexe", identity["sex"])
    place = _el(person, "codeCommuneNaissance")
    _el(_el(place, "codeInseeNaissance"), "codeInsee", identity["birth_place_code"])
    if identity["birth_place_name"]:
        _el(person, "libelleCommuneNaissance", identity["birth_place_name"][:60])


def build_flux(certifier: CdcCertifier, awards_: list[Award], *, id_flux: str, now=None, on_award=None) -> bytes:
    now = timezone.localtime(now or timezone.now()).replace(microsecond=0)
    root = etree.Element(f"{{{NS}}}flux", nsmap={"cpf": NS, "xsi": XSI})
    _el(root, "idFlux", id_flux)
    _el(root, "horodatage", now.isoformat())
    emitter = _el(root, "emetteur")
    _el(emitter, "idClient", certifier.id_client)
    holder = _el(_el(emitter, "certificateurs"), "certificateur")
    _el(holder, "idClient", certifier.id_client)
    _el(holder, "idContrat", certifier.id_contract)
    certifications = _el(holder, "certifications")
    by_registration = defaultdict(list)
    for award in awards_:
        by_registration[(award.certificate.register, award.certificate.registration_number)].append(award)
    for (register, number), group in sorted(by_registration.items()):
        certification = _el(certifications, "certification")
        _el(certification, "type", register)
        _el(certification, "code", number)
        _el(certification, "natureDeposant", "CERTIFICATEUR")
        passages = _el(certification, "passageCertifications")
        for award in group:
            _passage(passages, award)
            if on_award is not None:
                on_award()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- the export (service) ---------------------------------------------------------------------


# The progress callback is called every PROGRESS_EVERY awards (and at the end), not each one.
PROGRESS_EVERY = 25


class _Progress:
    def __init__(self, callback, total: int, done: int = 0):
        self.callback, self.total, self.done = callback, total, done
        self._report()

    def step(self) -> None:
        self.done += 1
        if self.done % PROGRESS_EVERY == 0:
            self._report()

    def end(self) -> None:
        self.done = self.total
        self._report()

    def _report(self) -> None:
        if self.callback is not None:
            self.callback(self.done, self.total)


@dataclass
class ExportResult:
    exports: list[CdcExport]
    contents: dict[int, bytes]
    excluded: list[Award]


def new_flux_id(certifier: CdcCertifier, now) -> str:
    return f"{certifier.id_client}-{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


@transaction.atomic
def cdc_export(*, by=None, certification_code: str = "", since=None, progress=None) -> ExportResult:
    """Write one flux per certifier with every exportable award not sent yet; awards with
    missing data are left out and returned with their reasons. ``by=None``: the command.
    ``progress(done, total)``, if given, is called as awards are processed; the awards left
    out count as processed as soon as they are known."""
    if by is not None:
        policy.require(by, "cdc.export")
    qs = not_exported(eligible_certificates(user=by, certification_code=certification_code, since=since))
    # Lock the awards, then look again: two exports at once never send the same award twice.
    ids = list(qs.values_list("pk", flat=True))
    locked = list(
        Certificate.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)
    )
    all_awards = awards(not_exported(Certificate.objects.filter(pk__in=locked)))
    ready = [a for a in all_awards if a.exportable]
    excluded = [a for a in all_awards if not a.exportable]
    tracker = _Progress(progress, total=len(all_awards), done=len(excluded))
    now = timezone.now()
    by_certifier = defaultdict(list)
    for award in ready:
        by_certifier[award.certifier].append(award)
    fluxes = []
    for certifier, group in sorted(by_certifier.items(), key=lambda item: item[0].id_client):
        id_flux = new_flux_id(certifier, now)
        xml = build_flux(certifier, group, id_flux=id_flux, now=now, on_award=tracker.step)
        errors = validation_errors(xml)
        if errors:
            # Nothing is written nor offered: the schema is the CDC's contract.
            raise RuleViolation(
                _("The CDC flux does not validate against the schema: %(error)s") % {"error": errors[0]},
                code="cdc_invalid",
                details=errors[:20],
            )
        fluxes.append((certifier, group, id_flux, xml))
    exports, contents = [], {}
    for certifier, group, id_flux, xml in fluxes:
        export = CdcExport(
            certifier=certifier,
            id_flux=id_flux,
            sha256=hashlib.sha256(xml).hexdigest(),
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        export.file.save(f"{id_flux}.xml", ContentFile(xml), save=False)
        export.save()
        export.certificates.set([a.certificate for a in group])
        audit_record(subject=export, action="cdc.export", by=by, note=f"{len(group)} award(s)")
        exports.append(export)
        contents[export.pk] = xml
    tracker.end()
    return ExportResult(exports=exports, contents=contents, excluded=excluded)
