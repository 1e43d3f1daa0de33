"""The accrochage XML flux, written line by line (no tree) to a binary file."""

import hashlib
import io
from collections import defaultdict

from django.utils import timezone

from candidates.identity import FRANCE, insee_country_code
from candidates.models import AccessRoute, BirthPlaceCodeKind
from juries.certificates.cdc.checks import Award
from juries.certificates.cdc.schema import NS, XSI
from juries.certificates.models import CdcCertifier

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

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})  # as libxml2 in text


class _Lines:
    """XML written line by line as lxml's pretty printer lays it out (two spaces per level,
    leaves on one line): no tree is built, a 10,000-award flux streams to its file."""

    def __init__(self):
        self.lines: list[str] = []

    def leaf(self, level: int, name: str, text=None, *, nil: bool = False) -> None:
        pad = "  " * level
        if nil:
            self.lines.append(f'{pad}<cpf:{name} xsi:nil="true"/>\n')
        else:
            self.lines.append(f"{pad}<cpf:{name}>{str(text).translate(_ESCAPES)}</cpf:{name}>\n")

    def open(self, level: int, name: str) -> None:
        self.lines.append(f"{'  ' * level}<cpf:{name}>\n")

    def close(self, level: int, name: str) -> None:
        self.lines.append(f"{'  ' * level}</cpf:{name}>\n")

    def take(self) -> bytes:
        data = "".join(self.lines).encode()
        self.lines.clear()
        return data


def _first_names(value: str) -> list[str]:
    return [n for n in value.replace(",", " ").split() if n][:3]


PASSAGE_LEVEL = 7  # flux > emetteur > certificateurs > certificateur > certifications > certification > passages


def _passage(out: _Lines, award: Award, level: int = PASSAGE_LEVEL) -> None:
    certificate, identity = award.certificate, award.identity
    out.open(level, "passageCertification")
    n = level + 1
    out.leaf(n, "idTechnique", certificate.award_ref.hex)  # stable per award, even after a re-issue
    url = certificate.verification_url
    if len(url) <= 255:
        out.leaf(n, "urlPreuve", url)
    out.leaf(n, "obtentionCertification", "PAR_ADMISSION")
    out.leaf(n, "donneeCertifiee", "true")
    out.leaf(n, "dateDebutValidite", certificate.award_date.isoformat())
    out.leaf(n, "dateFinValidite", nil=True)  # a CQP is held for good
    out.leaf(n, "presenceNiveauLangueEuro", "false")
    out.leaf(n, "presenceNiveauNumeriqueEuro", "false")
    out.leaf(n, "scoring", nil=True)
    out.leaf(n, "mentionValidee", nil=True)
    out.open(n, "modalitesInscription")
    route = certificate.path.access_route
    modalite = MODALITE_ACCES.get(route)
    out.leaf(n + 1, "modaliteAcces", modalite, nil=modalite is None)
    if route == AccessRoute.VAE:
        out.leaf(n + 1, "voieAccessVAE", "VAE_CLASSIQUE")
    if certificate.path.start_date:
        out.leaf(n + 1, "dateInscription", certificate.path.start_date.isoformat())
    out.close(n, "modalitesInscription")
    out.open(n, "identificationTitulaire")
    first_names = _first_names(identity["first_names"])
    if award.cpf_file_number:
        out.open(n + 1, "dossierFormation")
        out.leaf(n + 2, "idDossier", award.cpf_file_number)
        out.leaf(n + 2, "nomTitulaire", (identity["usage_name"] or identity["birth_name"])[:30])
        out.leaf(n + 2, "prenom1Titulaire", first_names[0][:20])
        out.close(n + 1, "dossierFormation")
    else:
        p = n + 2
        out.open(n + 1, "titulaire")
        out.leaf(p, "nomNaissance", identity["birth_name"][:60])
        out.leaf(p, "nomUsage", identity["usage_name"][:60], nil=not identity["usage_name"])
        for index, name in enumerate(first_names, start=1):
            out.leaf(p, f"prenom{index}", name[:60])
        birth = identity["birth_date"]
        out.leaf(p, "anneeNaissance", birth.year)
        out.leaf(p, "moisNaissance", birth.month)
        out.leaf(p, "jourNaissance", birth.day)
        out.leaf(p, "sexe", identity["sex"])
        _birth_place(out, p, identity)
        out.close(n + 1, "titulaire")
    out.close(n, "identificationTitulaire")
    out.close(level, "passageCertification")


def _birth_place(out: _Lines, p: int, identity: dict) -> None:
    """18c. Born in France: the INSEE code as codeInsee, a postcode as codePostal (never the
    other way round). Born abroad: INSEE's code of the country (99XXX) as the commune and its
    last three digits as codePaysNaissance, as depositors whose files the CDC accepts do."""
    country_code = insee_country_code(identity["birth_country"])
    abroad = identity["birth_country"] != FRANCE
    out.open(p, "codeCommuneNaissance")
    if abroad or identity["birth_place_code_kind"] != BirthPlaceCodeKind.POSTCODE:
        out.open(p + 1, "codeInseeNaissance")
        out.leaf(p + 2, "codeInsee", country_code if abroad else identity["birth_place_code"])
        out.close(p + 1, "codeInseeNaissance")
    else:
        out.open(p + 1, "codePostalNaissance")
        out.leaf(p + 2, "codePostal", identity["birth_place_code"])
        out.close(p + 1, "codePostalNaissance")
    out.close(p, "codeCommuneNaissance")
    if identity["birth_place_name"]:
        out.leaf(p, "libelleCommuneNaissance", identity["birth_place_name"][:60])
    if abroad:
        out.leaf(p, "codePaysNaissance", country_code[2:])


class FluxWriter:
    """Writes one flux to a binary file as it goes, byte for byte what lxml's pretty printer
    gave for the whole tree (checked by the tests); the schema validation comes after."""

    def __init__(self, out, certifier: CdcCertifier, *, id_flux: str, now=None):
        self.out = out
        self.sha256 = hashlib.sha256()
        self.count = 0
        self._lines = _Lines()
        self._in_certification = False
        now = timezone.localtime(now or timezone.now()).replace(microsecond=0)
        self._write(b"<?xml version='1.0' encoding='UTF-8'?>\n")
        self._write(f'<cpf:flux xmlns:cpf="{NS}" xmlns:xsi="{XSI}">\n'.encode())
        lines = self._lines
        lines.leaf(1, "idFlux", id_flux)
        lines.leaf(1, "horodatage", now.isoformat())
        lines.open(1, "emetteur")
        lines.leaf(2, "idClient", certifier.id_client)
        lines.open(2, "certificateurs")
        lines.open(3, "certificateur")
        lines.leaf(4, "idClient", certifier.id_client)
        lines.leaf(4, "idContrat", certifier.id_contract)
        lines.open(4, "certifications")
        self._flush()

    def _write(self, data: bytes) -> None:
        self.sha256.update(data)
        self.out.write(data)

    def _flush(self) -> None:
        self._write(self._lines.take())

    def certification(self, register: str, number: str) -> None:
        """Starts the passages of one registration (RNCP/RS number)."""
        self._end_certification()
        self._lines.open(5, "certification")
        self._lines.leaf(6, "type", register)
        self._lines.leaf(6, "code", number)
        self._lines.leaf(6, "natureDeposant", "CERTIFICATEUR")
        self._lines.open(6, "passageCertifications")
        self._in_certification = True

    def passage(self, award: Award) -> None:
        _passage(self._lines, award)
        self.count += 1
        if len(self._lines.lines) > 5000:
            self._flush()

    def _end_certification(self) -> None:
        if self._in_certification:
            self._lines.close(6, "passageCertifications")
            self._lines.close(5, "certification")
            self._in_certification = False

    def close(self) -> None:
        self._end_certification()
        for level, name in ((4, "certifications"), (3, "certificateur"), (2, "certificateurs"), (1, "emetteur")):
            self._lines.close(level, name)
        self._flush()
        self._write(b"</cpf:flux>\n")


def write_flux(out, certifier: CdcCertifier, groups, *, id_flux: str, now=None, on_award=None) -> FluxWriter:
    """Write a flux to ``out``. ``groups``: ((register, number), awards) pairs in file order,
    each awards an iterable (it may be read from the database as it is consumed)."""
    writer = FluxWriter(out, certifier, id_flux=id_flux, now=now)
    for (register, number), group in groups:
        writer.certification(register, number)
        for award in group:
            writer.passage(award)
            if on_award is not None:
                on_award()
    writer.close()
    return writer


def _by_registration(awards_) -> list[tuple[tuple[str, str], list]]:
    by_registration = defaultdict(list)
    for award in awards_:
        by_registration[(award.certificate.register, award.certificate.registration_number)].append(award)
    return sorted(by_registration.items())


def build_flux(certifier: CdcCertifier, awards_: list[Award], *, id_flux: str, now=None, on_award=None) -> bytes:
    """The flux of a few awards in memory (the export itself streams to a file)."""
    out = io.BytesIO()
    write_flux(out, certifier, _by_registration(awards_), id_flux=id_flux, now=now, on_award=on_award)
    return out.getvalue()
