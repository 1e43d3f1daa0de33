"""Reading the France compétences export (format v4.1, ``FICHES/FICHE``) into plain data.

The full export has ~30,000 fiches (~570 MB): it is streamed with ``lxml.etree.iterparse`` and
each fiche is cleared once read, so memory stays flat. ``parse_fiche`` turns one fiche into a
dict that is also the input of its fingerprint: any change to what it returns changes every
fingerprint, and the next import then reports every fiche as updated.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import nh3
from lxml import etree

from certifications.models import AccessRouteFlag, CertificationKind, ModalityKind, Register

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
LEVEL_RE = re.compile(r"^NIV([3-8])$")
BREAK_TAG_RE = re.compile(r"(?i)<\s*(br|/p|/li|/div|li|p)\b[^>]*>")
LINE_SPLIT_RE = re.compile(r"\n|\s{2,}")
SPACES_RE = re.compile(r"[ \t\u00a0]+")
BULLET_SPLIT_RE = re.compile(r"(?:^|\s)[-•*·–]\s+")
# Text without any of these comes out of the HTML sanitiser exactly as it went in (HTML parsing
# only acts on markup, entities, CR, NUL, control characters and a leading BOM), so the
# sanitiser is skipped for it: ~99 % of the register's texts, the largest cost of parsing.
NEEDS_SANITISING_RE = re.compile(r"[<&\r\x00-\x08\x0b-\x1f\x7f\ufeff]")


class ImportFileError(Exception):
    """The file is not a France compétences export, or not well-formed XML: nothing is imported."""


class MalformedFiche(Exception):
    """One fiche cannot be imported; the import names it and goes on."""


def stream(path: Path) -> Iterator[etree._Element]:
    """Yield each FICHE element, then clear it and what precedes it (flat memory)."""
    try:
        # Only these two tags reach Python: lxml filters the other ~500 elements of a fiche in C.
        context = etree.iterparse(
            str(path),
            events=("start", "end"),
            tag=(ROOT_TAG, FICHE_TAG),
            huge_tree=True,
            resolve_entities=False,
            no_network=True,
        )
        root_checked = False
        for event, elem in context:
            if not root_checked:
                _check_root(path, elem.getroottree().getroot())
                root_checked = True
            if event == "end" and elem.tag == FICHE_TAG:
                yield elem
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                while parent is not None and elem.getprevious() is not None:
                    del parent[0]
        if not root_checked:
            if context.root is None:
                raise ImportFileError(f"{path.name}: the file is empty")
            _check_root(path, context.root)
    except etree.XMLSyntaxError as exc:
        raise ImportFileError(f"{path.name}: not well-formed XML ({exc}); nothing was imported") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file ({exc.strerror or exc})") from None


def _check_root(path: Path, root) -> None:
    if root.tag != ROOT_TAG:
        raise ImportFileError(
            f"{path.name}: not a France compétences export (root element <{root.tag}>, <{ROOT_TAG}> expected)"
        )


def check_file(path: Path, *, progress: Callable[[int], None] | None = None) -> int:
    """Read the whole file once: raise ImportFileError unless it is a complete export; return the fiche count."""
    count = 0
    for _elem in stream(path):
        count += 1
        if progress and count % 1000 == 0:
            progress(count)
    return count


def _strip_html(raw: str) -> str:
    text = BREAK_TAG_RE.sub("\n", raw) if "<" in raw else raw
    if not NEEDS_SANITISING_RE.search(text):
        return text
    text = html.unescape(nh3.clean(text, tags=set()))
    return html.unescape(text)  # nh3 escapes what it keeps


def clean_text(raw: str | None) -> str:
    """Plain text from a register field: HTML tags and entities removed, spaces tidied."""
    if not raw:
        return ""
    text = _strip_html(raw)
    lines = [SPACES_RE.sub(" ", line).strip() for line in LINE_SPLIT_RE.split(text)]
    return "\n".join(line for line in lines if line)


def split_competencies(raw: str | None) -> list[str]:
    """LISTE_COMPETENCES is one text: items are bullets ("- ", "•"), lines or runs of spaces."""
    if not raw:
        return []
    stripped = _strip_html(raw).strip()
    bulleted = stripped[:1] in "-•*·–"
    parts = (BULLET_SPLIT_RE if bulleted else LINE_SPLIT_RE).split(stripped)
    # " ".join(p.split()) is re.sub(r"\s+", " ", p) without the end spaces, which strip() drops anyway.
    items = [" ".join(p.split()).strip(" ;") for p in parts]
    return [item for item in items if item]


def modality_kind(text: str) -> str:
    for pattern, kind in MODALITY_KEYWORDS:
        if pattern.search(text):
            return kind
    return ModalityKind.OTHER


@functools.lru_cache(maxsize=4096)
def _parse_date(value: str) -> datetime.date:
    # Cached: the register's dates repeat a lot, and strptime is a large part of parsing.
    return datetime.datetime.strptime(value, "%d/%m/%Y").date()


def _date(elem, tag: str, number: str) -> datetime.date | None:
    value = (elem.findtext(tag) or "").strip()
    if not value:
        return None
    try:
        return _parse_date(value)
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
        match = LEVEL_RE.match((elem.findtext("NOMENCLATURE_EUROPE/NIVEAU") or "").strip())
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
