import pytest

from juries import services
from juries.models import Decision
from tests.conftest import login
from tests.factories.accounts import TEST_PASSWORD
from tests.factories.certifications import CertificationFactory, RegistrationFactory, published_version
from tests.factories.juries import JurySessionFactory, ready_path, seat_jury

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_president_decides_a_partial_award_closes_and_approves_then_the_candidate_sees_it(
    page, branch, branch_admin, jury_member, candidate_user, evaluator
):
    certification = CertificationFactory(
        branches=[branch], title="CQP Serveur en restauration", block_validity_months=60
    )
    RegistrationFactory(certification=certification)
    version = published_version(certification, blocks=3, optional=1)
    session = JurySessionFactory(certifications=[certification])
    seat_jury(session, jury_member)
    path = ready_path(version, evaluator=evaluator, outcomes={"BC01": "acquired", "BC02": "not_acquired"})
    path.candidate.user = candidate_user
    path.candidate.save()
    services.dossier_add(session=session, path=path, by=branch_admin)
    services.jury_session_convene(session=session, by=branch_admin)
    services.jury_session_start_deliberation(session=session, by=jury_member)
    dossier = session.dossiers.get()
    blocks = {b.code: b.pk for b in version.blocks.all()}

    login(page, jury_member.email)
    page.wait_for_url("**/jury/")
    page.get_by_role("link", name=session.date.strftime("%d/%m/%Y")).click()
    page.get_by_role("link", name="Grille de délibération").first.click()
    assert page.get_by_role("heading", name="Grille de délibération").is_visible()
    # Prefilled with the evaluators' outcomes; the president confirms BC01 and refuses the others.
    assert page.locator(f"#b-{dossier.pk}-{blocks['BC01']}").input_value() == "1"
    page.locator(f"#b-{dossier.pk}-{blocks['BC02']}").select_option("0")
    page.locator(f"#b-{dossier.pk}-{blocks['BC03']}").select_option("0")
    # A partial award gives the reason for each block not validated.
    page.locator(f"#r-{dossier.pk}-{blocks['BC02']}").fill("Service non maîtrisé.")
    page.locator(f"#r-{dossier.pk}-{blocks['BC03']}").fill("Non présenté.")
    page.get_by_label("Préconisations").fill("Reprendre le bloc BC02 en situation réelle.")
    page.get_by_role("button", name=f"Enregistrer {path.candidate.display_name}").click()
    assert page.get_by_text("Validation partielle").first.is_visible()

    page.get_by_role("link", name="Clôture et procès-verbal").first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Clore la session").click()
    # The president names the vice-president (other college), re-enters the password (no
    # two-factor device in tests) and approves; the vice-president approves the same way.
    page.get_by_role("button", name="Désigner le vice-président").click()
    page.get_by_label("Votre mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Approuver le procès-verbal").click()
    assert page.get_by_text("Procès-verbal approuvé.").is_visible()
    vice = session.members.get(is_vice_president=True)
    services.jury_session_approve_minutes(session=session, by=vice.user, second_factor=TEST_PASSWORD)
    session.refresh_from_db()
    assert session.pv_approved_by_id == jury_member.pk and session.pv_approved_at is not None

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")
    page.wait_for_load_state("load")
    login(page, candidate_user.email)
    decision = Decision.objects.get(dossier=dossier, is_current=True)
    page.goto(f"{page.base_url}/jury/decisions/{decision.pk}/")
    assert page.get_by_text("Validation partielle").first.is_visible()
    assert page.get_by_text("Faites valider les blocs manquants avant le").is_visible()


def test_an_expired_held_block_is_shown_in_the_grid_and_the_candidate_is_told_to_retake_it(
    page, branch, branch_admin, jury_member, candidate_user, evaluator
):
    import datetime

    certification = CertificationFactory(branches=[branch], title="CQP Technicien de maintenance")
    RegistrationFactory(certification=certification)
    version = published_version(certification, blocks=3)
    session = JurySessionFactory(certifications=[certification])
    seat_jury(session, jury_member)
    path = ready_path(
        version, evaluator=evaluator, plans={"BC01": "held"}, outcomes={"BC02": "acquired", "BC03": "acquired"}
    )
    # Held at positioning, expired before the jury date.
    path.candidate.acquired_blocks.update(valid_until=datetime.date(2026, 3, 31))
    path.candidate.user = candidate_user
    path.candidate.save()
    services.dossier_add(session=session, path=path, by=branch_admin)
    services.jury_session_convene(session=session, by=branch_admin)
    services.jury_session_start_deliberation(session=session, by=jury_member)
    dossier = session.dossiers.get()
    blocks = {b.code: b.pk for b in version.blocks.all()}

    login(page, jury_member.email)
    page.wait_for_url("**/jury/")
    page.goto(f"{page.base_url}/jury/sessions/{session.pk}/grille/")
    row = page.locator(f"#row-{dossier.pk}")
    assert "Expiré, détenu jusqu'au 31/03/2026" in row.inner_text()
    assert page.locator(f"#b-{dossier.pk}-{blocks['BC01']}").input_value() == "0"  # not validated, reasoned
    page.get_by_role("button", name=f"Enregistrer {path.candidate.display_name}").click()
    assert page.get_by_text("Validation partielle").first.is_visible()
    page.screenshot(path="/tmp/h2/grid-expired.png", full_page=True)

    page.get_by_role("link", name="Clôture et procès-verbal").first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Clore la session").click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")
    page.wait_for_load_state("load")
    login(page, candidate_user.email)
    decision = Decision.objects.get(dossier=dossier, is_current=True)
    page.goto(f"{page.base_url}/jury/decisions/{decision.pk}/")
    retake = page.get_by_text("Blocs à évaluer de nouveau")
    assert retake.is_visible()
    assert "BC01 (détenu jusqu'au 31/03/2026)" in page.locator("main").inner_text()
    page.screenshot(path="/tmp/h2/candidate-expired.png", full_page=True)
