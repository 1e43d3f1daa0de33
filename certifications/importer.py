"""Import of the France compétences export (format v4.1, ``FICHES/FICHE``).

The full export has ~30,000 fiches (~570 MB): it is streamed with ``lxml.etree.iterparse`` and
each fiche is cleared once read, so memory stays flat. The file is read twice: a first pass
checks that it is this XML and well-formed to the end (a truncated file is refused before
anything is written) and counts fiches for the progress bar; the second pass imports, one
transaction per fiche, so a malformed fiche is skipped with a message and the rest goes on.

Used by ``manage.py import_france_competences``, the Celery task and the upload page.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nh3
from django.db import transaction
from django.utils import timezone
from lxml import etree

from certifications.exchange import version_content, write_content
from certifications.models import (
    AccessRouteFlag,
    BlockEquivalence,
    Branch,
    Certification,
    CertificationKind,
    ImportJob,
    ImportState,
    ModalityKind,
    ReferentialState,
    ReferentialVersion,
    Register,
    Registration,
    SkillBlock,
)
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import DomainError

SOURCE = "France compétences"
ROOT_TAG = "FICHES"
FICHE_TAG = "FICHE"

# SI_JURY_* of the export → access routes (domain.md, "Real data to use").
JURY_ROUTES = {
    "SI_JURY_FI": AccessRouteFlag.INITIAL,
    "SI_JURY_CA": AccessRouteFlag.APPRENTICESHIP,
    "SI_JURY_FC": AccessRouteFlag.CONTINUING,
    "SI_JURY_CQ": AccessRouteFlag.PROFESSIONALISATION,
    "SI_JURY_CL": AccessRouteFlag.INDEPENDENT,
    "SI_JURY_VAE": AccessRouteFlag.VAE,
}

# First keyword found in MODALITES_EVALUATION gives the modality kind; the text is kept whole.
MODALITY_KEYWORDS = [
    (
        re.compile(r"mise[s]? en situation|cas pratique|étude de cas|etude de cas|épreuve pratique", re.I),
        ModalityKind.PRACTICAL_SITUATION,
    ),
    (re.compile(r"observation", re.I), ModalityKind.WORK_OBSERVATION),
    (re.compile(r"dossier|rapport|mémoire|projet", re.I), ModalityKind.DOSSIER),
    (re.compile(r"entretien|oral|soutenance", re.I), ModalityKind.INTERVIEW),
    (re.compile(r"écrit|ecrit|questionnaire|qcm|examen", re.I), ModalityKind.WRITTEN_TEST),
]

NUMBER_RE = re.compile(r"^(RNCP|RS)\d{1,6}$")
IDCC_RE = re.compile(r"^\d{1,4}$")


class ImportFileError(Exception):
    """The file is not a France compétences export, or not well-formed XML: nothing is imported."""


class MalformedFiche(Exception):
    """One fiche cannot be imported; the import names it and goes on."""


@dataclass
class ImportStats:
    total: int = 0
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    blocks: int = 0
    skipped: int = 0
    messages: list[str] = field(default_factory=list)

    def summary_line(self) -> str:
        return (
            f"fiches: {self.read} read, {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.errors} errors; blocks: {self.blocks}"
        )


# --- reading ----------------------------------------------------------------------------------


def _stream(path: Path) -> Iterator[etree._Element]:
    """Yield each FICHE element, then clear it and what precedes it (flat memory)."""
    try:
        context = etree.iterparse(
            str(path), events=("start", "end"), huge_tree=True, resolve_entities=False, no_network=True
        )
        root_checked = False
        for event, elem in context:
            if not root_checked:
                if elem.tag != ROOT_TAG:
                    raise ImportFileError(
                        f"{path.name}: not a France compétences export (root element <{elem.tag}>, "
                        f"<{ROOT_TAG}> expected)"
                    )
                root_checked = True
                continue
            if event == "end" and elem.tag == FICHE_TAG:
                yield elem
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                while parent is not None and elem.getprevious() is not None:
                    del parent[0]
        if not root_checked:
            raise ImportFileError(f"{path.name}: the file is empty")
    except etree.XMLSyntaxError as exc:
        raise ImportFileError(f"{path.name}: not well-formed XML ({exc}); nothing was imported") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file ({exc.strerror or exc})") from None


def check_file(path: Path, *, progress: Callable[[int], None] | None = None) -> int:
    """Read the whole file once: raise ImportFileError unless it is a complete export; return the fiche count."""
    count = 0
    for _elem in _stream(path):
        count += 1
        if progress and count % 1000 == 0:
            progress(count)
    return count


def clean_text(raw: str | None) -> str:
    """Plain text from a register field: HTML tags and entities removed, spaces tidied."""
    if not raw:
        return ""
    text = re.sub(r"(?i)<\s*(br|/p|/li|/div|li|p)\b[^>]*>", "\n", raw)
    text = html.unescape(nh3.clean(text, tags=set()))
    text = html.unescape(text)  # nh3 escapes what it keeps
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in re.split(r"\n|\s{2,}", text)]
    return "\n".join(line for line in lines if line)


def split_competencies(raw: str | None) -> list[str]:
    """LISTE_COMPETENCES is one text: items are bullets ("- ", "•"), lines or runs of spaces."""
    if not raw:
        return []
    text = re.sub(r"(?i)<\s*(br|/p|/li|/div|li|p)\b[^>]*>", "\n", raw)
    text = html.unescape(html.unescape(nh3.clean(text, tags=set())))
    stripped = text.strip()
    bulleted = stripped[:1] in "-•*·–"
    parts = re.split(r"(?:^|\s)[-•*·–]\s+" if bulleted else r"\n|\s{2,}", stripped)
    items = [re.sub(r"\s+", " ", p).strip(" ;") for p in parts]
    return [item for item in items if item]


def modality_kind(text: str) -> str:
    for pattern, kind in MODALITY_KEYWORDS:
        if pattern.search(text):
            return kind
    return ModalityKind.OTHER


def _date(elem, tag: str, number: str) -> datetime.date | None:
    value = (elem.findtext(tag) or "").strip()
    if not value:
        return None
    try:
        return datetime.datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise MalformedFiche(f"{number}: {tag} {value!r} is not a dd/mm/yyyy date") from None


def _ccn(elem) -> list[tuple[str, str]]:
    found = []
    for index in (1, 2, 3):
        node = elem.find(f"CCN_{index}")
        if node is None:
            continue
        idcc = ""
        for child_tag in ("IDCC", "NUMERO", "CODE"):
            idcc = (node.findtext(child_tag) or "").strip()
            if idcc:
                break
        idcc = idcc or (node.text or "").strip()
        name = ""
        for child_tag in ("LIBELLE", "INTITULE", "NOM"):
            name = (node.findtext(child_tag) or "").strip()
            if name:
                break
        if idcc and IDCC_RE.match(idcc):
            found.append((idcc.zfill(4), name))
    return found


def parse_fiche(elem) -> dict:
    """The fiche as plain data (also the input of the fingerprint), or MalformedFiche."""
    number = (elem.findtext("NUMERO_FICHE") or "").strip()
    if not NUMBER_RE.match(number):
        ident = number or (elem.findtext("ID_FICHE") or "?").strip()
        raise MalformedFiche(f"fiche {ident}: NUMERO_FICHE {number!r} is not an RNCP or RS number")
    title = clean_text(elem.findtext("INTITULE")).replace("\n", " ")
    if not title:
        raise MalformedFiche(f"{number}: no INTITULE")
    register = Register.RNCP if number.startswith("RNCP") else Register.RS
    level = None
    if register == Register.RNCP:
        match = re.match(r"^NIV([3-8])$", (elem.findtext("NOMENCLATURE_EUROPE/NIVEAU") or "").strip())
        if not match:
            raise MalformedFiche(f"{number}: an RNCP fiche needs a level NIV3..NIV8")
        level = int(match.group(1))
    abrege = (elem.findtext("ABREGE/CODE") or "").strip().upper()
    abrege_label = (elem.findtext("ABREGE/LIBELLE") or "").strip()
    ccn = _ccn(elem)
    if abrege in ("CQP", "CQPI"):
        interbranch = abrege == "CQPI" or len(ccn) >= 2 or "interbranche" in f"{title} {abrege_label}".lower()
        kind = CertificationKind.CQPI if interbranch else CertificationKind.CQP
    else:
        kind = CertificationKind.EXTERNAL
    routes = sorted(
        route for tag, route in JURY_ROUTES.items() if (elem.findtext(f"{tag}/ACTIF") or "").strip() == "Oui"
    )
    blocks = []
    for index, block in enumerate(elem.iterfind("BLOCS_COMPETENCES/BLOC_COMPETENCES"), start=1):
        code = (block.findtext("CODE") or "").strip()
        label = clean_text(block.findtext("LIBELLE")).replace("\n", " ")
        if not code or not label:
            raise MalformedFiche(f"{number}: block {index} has no CODE or LIBELLE")
        modality_text = clean_text(block.findtext("MODALITES_EVALUATION"))
        blocks.append(
            {
                "code": code,
                "title": label[:500],
                "mandatory": True,
                "description": "",
                "competencies": split_competencies(block.findtext("LISTE_COMPETENCES")),
                "modalities": [{"kind": modality_kind(modality_text), "description": modality_text}]
                if modality_text
                else [],
                "criteria": [],
            }
        )
    codes = [b["code"].upper() for b in blocks]
    if len(codes) != len(set(codes)):
        raise MalformedFiche(f"{number}: two blocks have the same code")
    correspondences = []
    for corr in elem.iterfind("CORRESPONDANCES/CORRESPONDANCE"):
        source = (corr.findtext("SOURCE/BLOC_COMPETENCES/CODE") or "").strip()
        target_fiche = (corr.findtext("DESTINATION/NUMERO_FICHE") or "").strip()
        target = (corr.findtext("DESTINATION/BLOC_COMPETENCES/CODE") or "").strip()
        if source and target_fiche and target:
            correspondences.append([source, target_fiche, target])
    return {
        "number": number,
        "register": register,
        "title": title[:500],
        "kind": kind,
        "level": level,
        "active": (elem.findtext("ACTIF") or "").strip() == "Oui",
        "decision_date": _date(elem, "DATE_DECISION", number),
        "end_date": _date(elem, "DATE_FIN_ENREGISTREMENT", number),
        "last_delivery_date": _date(elem, "DATE_LIMITE_DELIVRANCE", number),
        "certifiers": "; ".join(
            (n.text or "").strip() for n in elem.iterfind("CERTIFICATEURS/CERTIFICATEUR/NOM_CERTIFICATEUR")
        )[:500],
        "nsf_codes": [(n.text or "").strip() for n in elem.iterfind("CODES_NSF/NSF/CODE") if (n.text or "").strip()],
        "ccn": ccn,
        "access_routes": routes,
        "blocks": blocks,
        "correspondences": correspondences,
    }


def fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


# --- writing ------------------------------------------------------------------------------------


def _branches_for(data: dict) -> list[Branch]:
    branches = []
    for idcc, name in data["ccn"]:
        branch, _ = Branch.objects.get_or_create(idcc=idcc, defaults={"name": (name or f"IDCC {idcc}")[:200]})
        branches.append(branch)
    return branches


def _code_for(number: str) -> str:
    code = number.lower()
    return code if not Certification.objects.filter(code=code).exists() else f"{code}-fc"


def _publish_imported(version: ReferentialVersion) -> None:
    # The register is the authority for an imported référentiel: it is published as it stands
    # (its blocks have no criteria; the publication checks apply to référentiels edited here).
    version.publish()
    version.published_at = timezone.now()
    version.save()
    audit_record(subject=version, action="referential.import", from_state="draft", to_state="published", note=SOURCE)


def _content_from(data: dict, activities: list | None = None) -> dict:
    return {"activities": activities or [], "blocks": data["blocks"]}


def import_fiche(data: dict, stats: ImportStats) -> str:
    """Create or update one certification from a parsed fiche; returns created/updated/unchanged."""
    digest = fingerprint(data)
    registration = Registration.objects.select_related("certification").filter(number=data["number"]).first()
    certification = registration.certification if registration else None
    if certification is not None and certification.register_fingerprint == digest:
        return "unchanged"
    branches = _branches_for(data)
    owning = branches if data["kind"] != CertificationKind.EXTERNAL else []
    if data["kind"] == CertificationKind.CQP and len(owning) != 1:
        stats.messages.append(f"{data['number']}: CQP with {len(owning)} branch(es) in CCN_*: check its owner")
    created = certification is None
    if created:
        certification = Certification.objects.create(
            kind=data["kind"],
            code=_code_for(data["number"]),
            title=data["title"],
            nsf_codes=data["nsf_codes"],
            certifier_names=data["certifiers"],
            register_fingerprint=digest,
        )
        audit_record(subject=certification, action="certification.import", to_state=data["kind"], note=SOURCE)
    else:
        # A CQP/CQPI edited here keeps its kind unless the register says it is one.
        if data["kind"] != CertificationKind.EXTERNAL or certification.kind == CertificationKind.EXTERNAL:
            certification.kind = data["kind"]
        certification.title = data["title"]
        certification.nsf_codes = data["nsf_codes"]
        certification.certifier_names = data["certifiers"]
        certification.register_fingerprint = digest
        certification.save()
        audit_record(subject=certification, action="certification.import_update", note=SOURCE)
    if owning:
        certification.branches.add(*owning)
    Registration.objects.update_or_create(
        certification=certification,
        defaults={
            "register": data["register"],
            "number": data["number"],
            "level": data["level"],
            "decision_date": data["decision_date"],
            "end_date": data["end_date"],
            "last_delivery_date": data["last_delivery_date"],
            "listed_active": data["active"],
            "access_routes": data["access_routes"],
        },
    )
    _import_referential(certification, data, stats)
    return "created" if created else "updated"


def _import_referential(certification: Certification, data: dict, stats: ImportStats) -> None:
    current = certification.versions.order_by("-number").first()
    if current is None:
        if not data["blocks"]:
            return  # an RS certification is indivisible: no référentiel of blocks to hold
        version = ReferentialVersion.objects.create(certification=certification, number=1, source=SOURCE)
        write_content(version, _content_from(data))
        _publish_imported(version)
        stats.blocks += len(data["blocks"])
        return
    existing = version_content(current)
    if existing["blocks"] == data["blocks"]:
        return
    if current.state == ReferentialState.DRAFT:
        current.blocks.all().delete()
        write_content(current, {"activities": [], "blocks": data["blocks"]})
        audit_record(subject=current, action="referential.import_update", note=SOURCE)
    else:
        # domain.md, Versioning: a published référentiel is never changed; the register's
        # new content becomes a draft for the branch to review and publish.
        draft = ReferentialVersion.objects.create(
            certification=certification,
            number=current.number + 1,
            based_on=current,
            source=SOURCE,
            summary=f"{SOURCE} {timezone.localdate():%d/%m/%Y}",
        )
        write_content(draft, _content_from(data, existing["activities"]))
        audit_record(subject=draft, action="referential.import", to_state="draft", note=SOURCE)
    stats.blocks += len(data["blocks"])


def _link_correspondences(pending: list[tuple[str, str, str, str]], stats: ImportStats) -> None:
    """Equivalences declared in CORRESPONDANCES, when both blocks are in the database."""
    for number, source_code, target_number, target_code in pending:
        source = _current_block(number, source_code)
        target = _current_block(target_number, target_code)
        if source is None or target is None or source.version.certification_id == target.version.certification_id:
            continue
        exists = BlockEquivalence.objects.filter(from_block=source, to_block=target).exists() or (
            BlockEquivalence.objects.filter(from_block=target, to_block=source).exists()
        )
        if not exists:
            BlockEquivalence.objects.create(
                from_block=source, to_block=target, bidirectional=True, note=f"{SOURCE}: {number} ↔ {target_number}"
            )


def _current_block(number: str, code: str) -> SkillBlock | None:
    return (
        SkillBlock.objects.select_related("version")
        .filter(
            version__certification__registration__number=number,
            code__iexact=code,
            version__state__in=[ReferentialState.PUBLISHED, ReferentialState.DRAFT],
        )
        .order_by("-version__state", "-version__number")  # published first, then the newest
        .first()
    )


# --- running -------------------------------------------------------------------------------------


def run_import(
    path,
    *,
    only_cqp: bool = False,
    dry_run: bool = False,
    progress: Callable[[ImportStats], None] | None = None,
    progress_every: int = 25,
) -> ImportStats:
    """Import the file at ``path``; ImportFileError (nothing changed) if it is not a complete export."""
    path = Path(path)
    stats = ImportStats()
    stats.total = check_file(path)
    if progress:
        progress(stats)
    if dry_run:
        with transaction.atomic():
            _import_all(path, stats, only_cqp=only_cqp, progress=progress, progress_every=progress_every)
            transaction.set_rollback(True)
    else:
        _import_all(path, stats, only_cqp=only_cqp, progress=progress, progress_every=progress_every)
    return stats


def _import_all(path: Path, stats: ImportStats, *, only_cqp: bool, progress, progress_every: int) -> None:
    pending: list[tuple[str, str, str, str]] = []
    for elem in _stream(path):
        stats.read += 1
        try:
            data = parse_fiche(elem)
            if only_cqp and data["kind"] == CertificationKind.EXTERNAL:
                stats.skipped += 1
            else:
                with transaction.atomic():
                    outcome = import_fiche(data, stats)
                setattr(stats, outcome, getattr(stats, outcome) + 1)
                pending += [(data["number"], *c) for c in data["correspondences"]]
        except MalformedFiche as exc:
            stats.errors += 1
            stats.messages.append(f"skipped: {exc}")
        except (DomainError, ValueError) as exc:
            stats.errors += 1
            number = (elem.findtext("NUMERO_FICHE") or "?").strip()
            stats.messages.append(f"skipped: {number}: {getattr(exc, 'message', exc)}")
        if progress and stats.read % progress_every == 0:
            progress(stats)
    with transaction.atomic():
        _link_correspondences(pending, stats)
    if progress:
        progress(stats)


def run_job(job: ImportJob) -> ImportJob:
    """Run an upload's import, keeping its progress row up to date for the page that polls it."""
    claimed = ImportJob.objects.filter(pk=job.pk, state=ImportState.PENDING).update(
        state=ImportState.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return ImportJob.objects.get(pk=job.pk)  # already run (a task delivered twice)
    job.refresh_from_db()

    def report(stats: ImportStats) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            total=stats.total,
            read=stats.read,
            created=stats.created,
            updated=stats.updated,
            unchanged=stats.unchanged,
            errors=stats.errors,
            blocks=stats.blocks,
        )

    try:
        stats = run_import(job.file.path, only_cqp=job.only_cqp, dry_run=job.dry_run, progress=report)
    except ImportFileError as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportState.FAILED, message=str(exc), finished_at=timezone.now()
        )
    else:
        report(stats)
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportState.DONE,
            message=stats.summary_line(),
            log="\n".join(stats.messages)[:20000],
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job
