"""Every certificate and attestation fits on one A4 page, for the longest real titles and
block lists of the France compétences sample and for a synthetic worst case within the real
limits: the closing sentence and the certificate number are on page 1 (issue 18, point 7)."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from lxml import etree
from pypdf import PdfReader

from candidates.models import Candidate
from certifications import models as cert_models
from juries import models as jury
from juries.certificates import services
from tests.factories.candidates import CandidateFactory
from tests.factories.certificates import closed_session, final_decision, registered_certification
from tests.factories.certifications import SkillBlockFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "certifications" / "fixtures"
RNCP_SAMPLE = FIXTURES / "france-competences-rncp-v4.1-sample.xml"
# The last words of the closing sentence, as printed (French document).
LAST_SENTENCE = "L'empreinte SHA-256 du PDF y est indiquée."


def sample_fiches() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(number, title, [(block code, block title)]) for each fiche of the real sample."""
    fiches = []
    for fiche in etree.parse(str(RNCP_SAMPLE)).getroot().iter("FICHE"):
        # A fiche may repeat a block (the importer keeps the first one): keyed by code.
        blocks = {}
        for b in fiche.iterfind("BLOCS_COMPETENCES/BLOC_COMPETENCES"):
            blocks.setdefault((b.findtext("CODE") or "").strip(), " ".join((b.findtext("LIBELLE") or "").split()))
        blocks = list(blocks.items())
        fiches.append((fiche.findtext("NUMERO_FICHE"), " ".join(fiche.findtext("INTITULE").split()), blocks))
    return fiches


def worst_real_cases() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    fiches = sample_fiches()
    longest_title = max(fiches, key=lambda f: len(f[1]))
    most_blocks = max(fiches, key=lambda f: len(f[2]))
    longest_blocks = max(fiches, key=lambda f: max(len(t) for _, t in f[2]))
    cases = {}
    for name, fiche in (
        ("longest title", longest_title),
        ("most blocks", most_blocks),
        ("longest block title", longest_blocks),
    ):
        # One fiche may be the worst on several counts (today's sample: RNCP35625).
        if fiche[1] not in [title for title, _ in cases.values()]:
            cases[f"{name} {fiche[0]}"] = (fiche[1], fiche[2])
    return cases


def synthetic_worst_case() -> tuple[str, list[tuple[str, str]]]:
    """Beyond the sample, within what the register holds: a 200-character title and 12 blocks
    of 120 characters (the sample's longest block has 118) with 13-character codes."""
    title = (
        "Responsable de la conception, de la mise en œuvre et de l'évaluation des politiques de "
        "prévention des risques professionnels et de la qualité de vie au travail en établissement médico-social"
    )
    block = (
        "Piloter, coordonner et évaluer les activités opérationnelles, les ressources humaines "
        "et les budgets d'une unité de production"
    )
    return title[:200], [(f"RNCP39999BC{i:02d}", block[:120].rsplit(" ", 1)[0]) for i in range(1, 13)]


def all_cases():
    cases = worst_real_cases()
    cases["synthetic worst case"] = synthetic_worst_case()
    return cases


def version_with_blocks(certification, blocks):
    """A published version carrying these exact block codes and titles (written as a draft,
    then published as the import does: a published version refuses changes)."""
    version = cert_models.ReferentialVersion.objects.create(certification=certification, number=1)
    for order, (code, title) in enumerate(blocks):
        SkillBlockFactory(version=version, code=code, title=title, order=order, mandatory=True)
    cert_models.ReferentialVersion.objects.filter(pk=version.pk).update(state=cert_models.ReferentialState.PUBLISHED)
    return cert_models.ReferentialVersion.objects.get(pk=version.pk)


def long_named_holder() -> Candidate:
    return CandidateFactory(
        birth_name="De La Fontaine-Saint-Hilaire-Montmorency",
        usage_name="Vandenberghe-Delacroix-Charpentier",
        first_names="Marie-Christine Anne-Sophie Geneviève",
        birth_place_name="Saint-Remy-en-Bouzemont-Saint-Genest-et-Isson",
    )


def pages_and_text(document) -> tuple[int, str]:
    with default_storage.open(document.pdf.name, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    first_page = re.sub(r"\s+", " ", reader.pages[0].extract_text())
    return len(reader.pages), first_page


def assert_one_page(document):
    document.refresh_from_db()
    pages, first_page = pages_and_text(document)
    assert pages == 1, f"{document.kind} on {pages} pages"
    assert LAST_SENTENCE in first_page
    assert document.number in first_page


@pytest.mark.parametrize("case", list(all_cases()))
def test_every_document_fits_on_one_page(case, branch, django_capture_on_commit_callbacks):
    title, blocks = all_cases()[case]
    certification = registered_certification(
        branch, code=f"fit-{len(title)}-{len(blocks)}", title=title, issue_block_attestations=True
    )
    version = version_with_blocks(certification, blocks)
    session = closed_session(certification)
    # The longest place name of a French commune: it is printed three times.
    session.place = "Saint-Remy-en-Bouzemont-Saint-Genest-et-Isson"
    session.save(update_fields=["place"])
    total = final_decision(session, version=version, candidate=long_named_holder())
    # A partial award validating all blocks but one: the longest list an attestation carries,
    # and one block attestation per validated block (the longest block title among them).
    partial = final_decision(
        session,
        version=version,
        outcome=jury.Outcome.PARTIAL,
        validated=[code for code, _ in blocks[:-1]],
        candidate=long_named_holder(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        documents = services.certificate_issue_for_decision(decision=total)
        documents += services.certificate_issue_for_decision(decision=partial)
    kinds = {d.kind for d in documents}
    assert {"certificate", "partial_attestation", "block_attestation"} <= kinds
    failures = []
    for document in documents:
        try:
            assert_one_page(document)
        except AssertionError as error:
            failures.append(str(error).splitlines()[0])
    assert not failures, failures
