"""The CDC export streams (issue 11): the file is byte for byte what the former whole-tree
build gave, it is validated while read back, and the number of queries does not depend on the
number of awards."""

import datetime
import re
from collections import defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree

from candidates.identity import insee_country_code
from juries.certificates import cdc
from tests.certificates.test_cdc import issue_all
from tests.factories.candidates import CandidateFactory
from tests.factories.certificates import award_setup, cdc_account, closed_session, final_decision

pytestmark = pytest.mark.django_db
NS, XSI = cdc.NS, cdc.XSI


# --- the former implementation (one lxml tree, pretty printed), kept as the reference ----------


def _el(parent, name, text=None, *, nil=False):
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    if nil:
        element.set(f"{{{XSI}}}nil", "true")
    elif text is not None:
        element.text = str(text)
    return element


def _tree_passage(parent, award):
    certificate, identity = award.certificate, award.identity
    passage = _el(parent, "passageCertification")
    _el(passage, "idTechnique", certificate.award_ref.hex)
    if len(certificate.verification_url) <= 255:
        _el(passage, "urlPreuve", certificate.verification_url)
    _el(passage, "obtentionCertification", "PAR_ADMISSION")
    _el(passage, "donneeCertifiee", "true")
    _el(passage, "dateDebutValidite", certificate.award_date.isoformat())
    _el(passage, "dateFinValidite", nil=True)
    _el(passage, "presenceNiveauLangueEuro", "false")
    _el(passage, "presenceNiveauNumeriqueEuro", "false")
    _el(passage, "scoring", nil=True)
    _el(passage, "mentionValidee", nil=True)
    inscription = _el(passage, "modalitesInscription")
    route = certificate.path.access_route
    modalite = cdc.MODALITE_ACCES.get(route)
    _el(inscription, "modaliteAcces", modalite, nil=modalite is None)
    if route == "vae":
        _el(inscription, "voieAccessVAE", "VAE_CLASSIQUE")
    if certificate.path.start_date:
        _el(inscription, "dateInscription", certificate.path.start_date.isoformat())
    holder = _el(passage, "identificationTitulaire")
    first_names = cdc._first_names(identity["first_names"])
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
    commune = _el(person, "codeCommuneNaissance")
    abroad = identity["birth_country"] != "FR"
    country = insee_country_code(identity["birth_country"])
    if abroad:
        _el(_el(commune, "codeInseeNaissance"), "codeInsee", country)
    elif identity["birth_place_code_kind"] == "postcode":
        _el(_el(commune, "codePostalNaissance"), "codePostal", identity["birth_place_code"])
    else:
        _el(_el(commune, "codeInseeNaissance"), "codeInsee", identity["birth_place_code"])
    if identity["birth_place_name"]:
        _el(person, "libelleCommuneNaissance", identity["birth_place_name"][:60])
    if abroad:
        _el(person, "codePaysNaissance", country[2:])


def tree_flux(certifier, awards, *, id_flux, now):
    now = timezone.localtime(now).replace(microsecond=0)
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
    for award in awards:
        by_registration[(award.certificate.register, award.certificate.registration_number)].append(award)
    for (register, number), group in sorted(by_registration.items()):
        certification = _el(certifications, "certification")
        _el(certification, "type", register)
        _el(certification, "code", number)
        _el(certification, "natureDeposant", "CERTIFICATEUR")
        passages = _el(certification, "passageCertifications")
        for award in group:
            _tree_passage(passages, award)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- fixtures ------------------------------------------------------------------------------------


# Born in Paris (INSEE code), in Lyon 3e (postcode), in Berlin (abroad).
BIRTH_PLACES = [
    {},
    {"birth_place_code": "69003", "birth_place_code_kind": "postcode", "birth_place_name": "Lyon"},
    {"birth_place_code": "", "birth_place_code_kind": "", "birth_place_name": "Berlin", "birth_country": "DE"},
]


def awards_of(branch, capture, count, *, code="cqp-serveur-restauration", title="Serveur en restauration"):
    certification, version = award_setup(branch, code=code, title=title)
    cdc_account(certification)
    session = closed_session(certification, award_date=datetime.date(2026, 5, 4))
    names = ["Martin & Fils", "Dupont <Jr>", "Lefèvre", "O'Neil", "Nguyễn"]
    decisions = [
        final_decision(
            session,
            version=version,
            access_route="vae" if n % 3 == 0 else "continuing",
            candidate=CandidateFactory(
                birth_name=names[n % len(names)], usage_name="Épouse B" if n % 4 == 0 else "", **BIRTH_PLACES[n % 3]
            ),
        )
        for n in range(count)
    ]
    return certification, issue_all(decisions, capture)


def test_the_streamed_flux_is_byte_for_byte_the_former_tree(branch, django_capture_on_commit_callbacks):
    awards_of(branch, django_capture_on_commit_callbacks, 7)
    awards_of(branch, django_capture_on_commit_callbacks, 3, code="cqp-commis", title="Commis")
    awards = [a for a in cdc.awards(cdc.not_exported(cdc.eligible_certificates())) if a.exportable]
    certifier = awards[0].certifier
    now = timezone.now()
    expected = tree_flux(certifier, awards, id_flux="X-1", now=now)
    assert cdc.build_flux(certifier, awards, id_flux="X-1", now=now) == expected
    assert b"Martin &amp; Fils" in expected and b"Dupont &lt;Jr&gt;" in expected
    assert b"<cpf:codePostal>69003</cpf:codePostal>" in expected
    assert b"<cpf:codeInsee>99109</cpf:codeInsee>" in expected and b"<cpf:codePaysNaissance>109<" in expected
    result = cdc.cdc_export()
    [export] = result.exports
    stored = result.content(export)
    # Same awards, same order: only the flux id and the time stamp differ.
    again = tree_flux(certifier, awards, id_flux=export.id_flux, now=export.created_at)
    strip = lambda xml: [line for line in xml.splitlines() if b"horodatage" not in line]  # noqa: E731
    assert strip(stored) == strip(again)
    assert cdc.validation_errors(stored) == []
    assert export.certificates.count() == 10


def test_validation_reads_a_file_incrementally(branch, django_capture_on_commit_callbacks, tmp_path):
    awards_of(branch, django_capture_on_commit_callbacks, 3)
    result = cdc.cdc_export()
    xml = result.content(result.exports[0])
    target = tmp_path / "flux.xml"
    target.write_bytes(xml)
    with target.open("rb") as handle:
        assert cdc.validation_errors(handle) == []
    broken = re.sub(rb"<cpf:sexe>[MF]</cpf:sexe>", b"<cpf:sexe>X</cpf:sexe>", xml, count=1)
    assert broken != xml
    [error, *_] = cdc.validation_errors(broken)
    assert error.startswith("line ") and "sexe" in error


@pytest.mark.parametrize("count", [2, 12])
def test_the_export_query_count_does_not_grow_with_the_awards(
    branch, django_capture_on_commit_callbacks, count, monkeypatch
):
    monkeypatch.setattr(
        "juries.certificates.cdc.export.CHUNK", 5
    )  # several chunks at 12 awards: one query more per chunk only
    awards_of(branch, django_capture_on_commit_callbacks, count)
    with CaptureQueriesContext(connection) as queries:
        result = cdc.cdc_export()
    assert result.content(result.exports[0]).count(b"<cpf:passageCertification>") == count
    chunks = -(-count // 5)
    # ids, lock, sort-out pass, certifications (+ branches, commissions), CDC accounts, one per
    # chunk, export row, its awards, their CDC status, audit; plus savepoints.
    assert len(queries) == 13 + chunks, [q["sql"][:80] for q in queries]
