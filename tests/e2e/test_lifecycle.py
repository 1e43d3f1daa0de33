"""The whole life of a CQP in a real browser, through the UI only.

A branch administrator publishes a new version of the référentiel → a candidate signs up,
enrols and asks for funding → the branch administrator assigns an evaluator, who positions the
candidate and records the block assessments → the jury president deliberates a partial award,
closes the session and approves the minutes → the candidate sees the partial award, downloads
the attestation and opens its verification page → the candidate comes back for the missing
block, which is assessed → a second session awards the full CQP → the certificate verifies as
valid.

Only what is not a user flow is set up with factories: the certification and its first
version, the habilitation of the evaluator, the funders, and the jury sessions with their
members. Every page is screenshotted under var/test-artifacts/e2e/; the ``page`` fixture fails
the test on any console error or failed request.
"""

import datetime
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from candidates.models import Path, PathState
from certifications.models import ReferentialState
from financing.models import FunderKind
from juries.models import Decision, Outcome
from tests.conftest import ARTIFACTS, login
from tests.factories.certifications import (
    CertificationFactory,
    RegistrationFactory,
    habilitate_evaluator,
    published_version,
)
from tests.factories.financing import CostRateFactory, FunderFactory
from tests.factories.juries import JurySessionFactory, seat_jury

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "e2e"
CANDIDATE_EMAIL = "lea.martin@example.org"
CANDIDATE_PASSWORD = "Un-mot-de-passe-solide-2026"
TITLE = "CQP Serveur de bout en bout"


class Steps:
    """Numbered screenshots, so the artefacts read as the story of the test."""

    def __init__(self, page):
        self.page = page
        self.number = 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        for old in SHOTS.glob("*.png"):
            old.unlink()

    def shot(self, name: str) -> None:
        settle(self.page)
        self.number += 1
        self.page.screenshot(path=str(SHOTS / f"{self.number:02d}-{name}.png"), full_page=True)


def settle(page):
    # Let each page finish its own requests (favicon...) before the next navigation aborts them.
    page.wait_for_load_state("load")
    page.wait_for_load_state("networkidle")


def act_as(page, email: str, password: str = "password-for-tests") -> None:  # noqa: S107
    page.context.clear_cookies()
    login(page, email, password)
    settle(page)


def click(page, locator) -> None:
    locator.click()
    settle(page)


def flash(page) -> str:
    return page.locator(".messages").inner_text()


# --- the steps -------------------------------------------------------------------------------


def publish_new_version(page, steps):
    page.goto(f"{page.base_url}/branche/")
    settle(page)
    steps.shot("branch-workspace")
    click(page, page.get_by_role("link", name=TITLE))
    click(page, page.get_by_role("button", name="Nouvelle version à partir de la version publiée"))
    click(page, page.get_by_role("link", name="Ajouter un bloc"))
    page.get_by_label("Code").fill("BC03")
    page.get_by_label("Intitulé").fill("Encaisser les clients")
    page.locator("#id_competencies-0-text").fill("Établir l'addition")
    page.locator("#id_competencies-1-text").fill("Encaisser selon le moyen de paiement")
    page.locator("#id_modalities-0-kind").select_option("practical_situation")
    page.locator("#id_criteria-0-text").fill("L'encaissement est juste")
    steps.shot("draft-block")
    click(page, page.get_by_role("button", name="Enregistrer le bloc"))
    page.get_by_role("heading", name="BC03 — Encaisser les clients").wait_for()
    click(page, page.get_by_role("button", name="Publier cette version"))
    page.get_by_text("La version 2 est publiée.").wait_for()
    steps.shot("version-published")


def sign_up_and_enrol(page, steps):
    page.context.clear_cookies()
    page.goto(f"{page.base_url}/parcours/inscription/")
    settle(page)
    page.get_by_label("Adresse e-mail").fill(CANDIDATE_EMAIL)
    page.locator("#id_password1").fill(CANDIDATE_PASSWORD)
    page.locator("#id_password2").fill(CANDIDATE_PASSWORD)
    page.locator("#id_birth_name").fill("MARTIN")
    page.locator("#id_first_names").fill("Léa")
    page.locator("#id_sex").select_option("F")
    page.locator("#id_birth_date").fill("1996-04-12")
    page.locator("#id_birth_place_code").fill("69123")
    page.locator("#id_birth_place_code_kind_0").check()  # INSEE commune code
    page.locator("#id_birth_place_name").fill("Lyon")
    page.locator("#id_status").select_option("employee")
    page.locator("#id_employer_name").fill("Brasserie du Parc")
    steps.shot("sign-up")
    click(page, page.get_by_role("button", name="Créer mon compte"))
    page.get_by_role("heading", name="S'inscrire à une certification").wait_for()
    enrol(page, steps, "enrol")


def enrol(page, steps, name):
    page.get_by_label("Certification").select_option(label=TITLE)
    page.get_by_label("Voie d'accès").select_option(label="Formation continue")
    steps.shot(name)
    click(page, page.get_by_role("button", name="M'inscrire"))
    assert "Vous êtes inscrit" in flash(page)
    page.get_by_role("heading", name="Mon parcours", level=1).wait_for()


def ask_for_funding(page, steps):
    click(page, page.get_by_role("link", name="Financement de mon parcours").first)
    page.get_by_role("heading", name="Financement du parcours").wait_for()
    # The employer's training plan, paid by the OPCO of the branch (the candidate is an employee).
    page.get_by_role("combobox", name="Dispositif de financement").select_option(value="plan")
    page.get_by_role("combobox", name="Financeur").select_option(label="AKTO e2e (OPCO)")
    page.get_by_label("Date de début").fill(datetime.date.today().isoformat())
    page.get_by_label("Montant forfaitaire (€)").fill("1500")
    click(page, page.get_by_role("button", name="Ajouter la ligne de financement"))
    page.get_by_text("La ligne de financement a été ajoutée en brouillon").wait_for()
    click(page, page.get_by_role("button", name=re.compile("^Transmettre la demande")))
    page.get_by_text("La demande de financement a été transmise au financeur.").wait_for()
    steps.shot("funding-line")


def assign_evaluator(page, steps, path, evaluator):
    page.goto(f"{page.base_url}/dossiers/{path.pk}/")
    settle(page)
    page.get_by_label("Évaluateur", exact=True).select_option(value=str(evaluator.pk))
    click(page, page.get_by_role("button", name="Enregistrer", exact=True))
    assert "La désignation est enregistrée" in flash(page)
    steps.shot("evaluator-assigned")


def position(page, steps, path, *, expect_held=()):
    page.goto(f"{page.base_url}/evaluations/")
    settle(page)
    steps.shot("worklist")
    click(page, page.get_by_role("link", name=path.candidate.display_name).first)
    click(page, page.get_by_role("button", name="Commencer le positionnement"))
    for code in expect_held:
        # The ledger pre-fills the blocks validated by the first jury as already held.
        legend = page.locator("fieldset", has_text=code)
        assert legend.locator("select").first.input_value() == "held", code
    steps.shot("positioning")
    click(page, page.get_by_role("button", name="Confirmer le positionnement"))
    assert "Le positionnement est confirmé" in flash(page)
    click(page, page.get_by_role("button", name="Commencer l'évaluation"))


def assess(page, steps, block, *, acquired: bool, comment: str):
    click(page, page.get_by_role("link", name=f"Évaluer {block.code}"))
    if acquired:
        for criterion in block.criteria.all():
            page.get_by_label(criterion.text).check()
        page.get_by_label("Acquis", exact=True).check()
    else:
        page.get_by_label("Non acquis", exact=True).check()
    page.get_by_label("Commentaire").fill(comment)
    steps.shot(f"assessment-{block.code}")
    click(page, page.get_by_role("button", name="Enregistrer l'évaluation"))
    assert f"L'évaluation de {block.code} est enregistrée" in flash(page)


def send_to_jury(page, steps):
    click(page, page.get_by_role("button", name="Transmettre au jury"))
    assert "Prêt pour le jury" in page.locator("main").inner_text()
    steps.shot("ready-for-jury")


def add_dossier_and_convene(page, steps, session, path):
    page.goto(f"{page.base_url}/jury/sessions/{session.pk}/")
    settle(page)
    page.get_by_label("Parcours prêt pour le jury").select_option(value=str(path.pk))
    click(page, page.get_by_role("button", name="Ajouter le dossier"))
    click(page, page.get_by_role("button", name="Convoquer le jury"))
    steps.shot("session-convened")


def deliberate(page, steps, session, path, *, refuse=(), expect_outcome: str):
    page.goto(f"{page.base_url}/jury/")
    settle(page)
    steps.shot("my-jury-sessions")
    page.goto(f"{page.base_url}/jury/sessions/{session.pk}/")
    settle(page)
    click(page, page.get_by_role("button", name="Ouvrir la délibération"))
    click(page, page.get_by_role("link", name="Grille de délibération").first)
    dossier = session.dossiers.get(path=path)
    for block in refuse:
        page.locator(f"#b-{dossier.pk}-{block.pk}").select_option("0")
        # A partial award gives the reason for each block not validated.
        page.locator(f"#r-{dossier.pk}-{block.pk}").fill("Non démontré en situation réelle.")
    if refuse:
        page.get_by_label("Préconisations").fill("Reprendre le bloc BC03 en situation réelle.")
    click(page, page.get_by_role("button", name=f"Enregistrer {path.candidate.display_name}"))
    assert page.get_by_text(expect_outcome).first.is_visible()
    steps.shot("grid")
    click(page, page.get_by_role("link", name="Clôture et procès-verbal").first)
    page.once("dialog", lambda dialog: dialog.accept())
    click(page, page.get_by_role("button", name="Clore la session"))
    # President then vice-president (other college), each re-entering the password (no
    # two-factor device in tests): tests/juries/test_pv_approvals.py covers the rules.
    click(page, page.get_by_role("button", name="Désigner le vice-président"))
    page.get_by_label("Votre mot de passe").fill("password-for-tests")
    click(page, page.get_by_role("button", name="Approuver le procès-verbal"))
    assert page.get_by_text("Procès-verbal approuvé.").is_visible()
    from juries.services import jury_session_approve_minutes

    vice = session.members.get(is_vice_president=True)
    jury_session_approve_minutes(session=session, by=vice.user, second_factor="password-for-tests")
    steps.shot("minutes-approved")


def download_and_verify(page, steps, *, kind: str, name: str) -> str:
    """Download the PDF of the candidate's document of ``kind``, then follow its verification
    link (the one printed on the PDF and its QR code): the page must say it is valid."""
    certificates = page.locator(".card", has=page.get_by_role("heading", name="Mes certificats"))
    row = certificates.get_by_role("row").filter(has=page.get_by_role("cell", name=kind, exact=True)).first
    assert "Valide" in row.inner_text()
    link = row.get_by_role("link", name=re.compile("^Télécharger"))
    with page.expect_download() as download_info:
        link.click()
    target = SHOTS / f"{name}.pdf"
    download_info.value.save_as(str(target))
    assert target.read_bytes().startswith(b"%PDF")
    verification_url = row.get_by_role("textbox", name="Lien de partage").input_value()
    assert verification_url.startswith(page.base_url + "/verify/")
    # The link printed under the QR code of the PDF is the one the candidate shares.
    printed = "".join("".join(p.extract_text() for p in PdfReader(target).pages).split())
    assert verification_url in printed
    page.goto(verification_url)
    settle(page)
    page.get_by_role("heading", name="Vérification d'un certificat").wait_for()
    assert page.locator(".badge", has_text="Valide").is_visible()
    steps.shot(f"verify-{name}")
    return page.locator("main").inner_text()


# --- the story -------------------------------------------------------------------------------


def test_the_life_of_a_cqp_through_the_ui(page, settings, branch, branch_admin, evaluator, jury_member):
    # Certificates print their verification link from SITE_URL: here, the live server.
    settings.SITE_URL = page.base_url
    certification = CertificationFactory(title=TITLE, branches=[branch], block_validity_months=60)
    RegistrationFactory(certification=certification)
    published_version(certification, blocks=2)
    habilitate_evaluator(certification, evaluator)
    CostRateFactory(certification=certification, hourly_rate=Decimal("30.00"))
    FunderFactory(name="AKTO e2e", kind=FunderKind.OPCO, opco=branch.opco)
    first_session = JurySessionFactory(certifications=[certification], title="Jury de printemps")
    seat_jury(first_session, jury_member)
    steps = Steps(page)

    # 1. The branch administrator publishes version 2, with a third block.
    act_as(page, branch_admin.email)
    publish_new_version(page, steps)
    version = certification.versions.get(number=2)
    assert version.state == ReferentialState.PUBLISHED
    blocks = {b.code: b for b in version.blocks.prefetch_related("criteria")}
    assert set(blocks) == {"BC01", "BC02", "BC03"}

    # 2. A candidate signs up, enrols and asks for a CPF funding.
    sign_up_and_enrol(page, steps)
    path = Path.objects.select_related("candidate").get(candidate__user__email=CANDIDATE_EMAIL)
    assert path.state == PathState.REGISTERED and path.version_id == version.pk
    ask_for_funding(page, steps)
    assert path.funding_lines.get().state == "submitted"

    # 3. The branch administrator assigns the evaluator, who positions and assesses.
    act_as(page, branch_admin.email)
    assign_evaluator(page, steps, path, evaluator)
    act_as(page, evaluator.email)
    position(page, steps, path)
    assess(page, steps, blocks["BC01"], acquired=True, comment="Accueil soigné, service fluide.")
    assess(page, steps, blocks["BC02"], acquired=True, comment="Conseils pertinents sur les vins.")
    assess(page, steps, blocks["BC03"], acquired=False, comment="Erreurs de caisse répétées.")
    send_to_jury(page, steps)

    # 4. The first jury: a partial award (BC03 refused), closed, minutes approved.
    act_as(page, branch_admin.email)
    add_dossier_and_convene(page, steps, first_session, path)
    act_as(page, jury_member.email)
    deliberate(page, steps, first_session, path, refuse=[blocks["BC03"]], expect_outcome="Validation partielle")
    path.refresh_from_db()
    assert path.state == PathState.PARTIALLY_AWARDED

    # 5. The candidate sees the partial award on "Mon parcours".
    act_as(page, CANDIDATE_EMAIL, CANDIDATE_PASSWORD)
    decision = page.locator(".jury-decision").first
    assert "Validation partielle" in decision.inner_text()
    assert "BC03" in decision.inner_text()
    assert "Faites valider les blocs manquants avant le" in decision.inner_text()
    steps.shot("candidate-partial-award")
    verify = download_and_verify(page, steps, kind="Attestation de validation partielle", name="attestation")
    assert "Attestation de validation partielle" in verify and "MARTIN" in verify
    page.goto(f"{page.base_url}/parcours/")
    settle(page)

    # 6. The candidate comes back for BC03; the ledger recognises BC01 and BC02.
    click(page, page.get_by_role("link", name="S'inscrire à une certification").first)
    enrol(page, steps, "enrol-again")
    comeback = Path.objects.exclude(pk=path.pk).get(candidate=path.candidate)
    act_as(page, branch_admin.email)
    assign_evaluator(page, steps, comeback, evaluator)
    act_as(page, evaluator.email)
    position(page, steps, comeback, expect_held=("BC01", "BC02"))
    assess(page, steps, blocks["BC03"], acquired=True, comment="Caisse juste, moyens de paiement maîtrisés.")
    send_to_jury(page, steps)

    # 7. A second session awards the full CQP.
    second_session = JurySessionFactory(certifications=[certification], title="Jury d'automne")
    seat_jury(second_session, jury_member)
    act_as(page, branch_admin.email)
    add_dossier_and_convene(page, steps, second_session, comeback)
    act_as(page, jury_member.email)
    deliberate(page, steps, second_session, comeback, expect_outcome="Validation totale")
    comeback.refresh_from_db()
    assert comeback.state == PathState.AWARDED
    assert Decision.objects.get(dossier__path=comeback, is_current=True).outcome == Outcome.TOTAL

    # 8. The candidate downloads the CQP; its verification page says it is valid.
    act_as(page, CANDIDATE_EMAIL, CANDIDATE_PASSWORD)
    steps.shot("candidate-awarded")
    verify = download_and_verify(page, steps, kind="Certificat", name="certificate")
    assert TITLE in verify and "MARTIN" in verify
