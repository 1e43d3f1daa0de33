"""The candidate's pages with the keyboard only: log in, skip to the content, enrol, add a
document. Every element reached with Tab shows a visible focus; forms are sent with Enter."""

import pytest

from candidates.models import Evidence, Path
from tests.factories.candidates import CandidateFactory
from tests.factories.certifications import CertificationFactory, RegistrationFactory, published_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "CQP Serveur au clavier"

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), id: el.id, type: el.type || "", text: (el.innerText || el.value || "").trim(),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    onScreen: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0 && box.left < innerWidth,
  };
}"""


def settle(page):
    page.wait_for_load_state("load")
    page.wait_for_load_state("networkidle")


def focused_or_none(page) -> dict | None:
    return page.evaluate(FOCUSED)


def focused(page) -> dict:
    state = page.evaluate(FOCUSED)
    assert state is not None, "the focus was lost (on the body)"
    return state


def tab_to(page, matches, *, limit: int = 60) -> dict:
    """Press Tab until ``matches(focused)``; every stop on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        assert state["outline"], f"no visible focus on {state}"
        assert state["onScreen"], f"focused element off screen: {state}"
        if matches(state):
            return state
    raise AssertionError("never reached the element with Tab")


def test_candidate_enrols_and_adds_a_document_with_the_keyboard_only(page, branch, candidate_user, tmp_path):
    certification = CertificationFactory(title=TITLE, branches=[branch])
    RegistrationFactory(certification=certification)
    published_version(certification, blocks=2)
    CandidateFactory(user=candidate_user, email=candidate_user.email)

    # Log in: the e-mail field has the focus on arrival; Tab to the password, Enter sends.
    page.goto(f"{page.base_url}/connexion/")
    settle(page)
    if focused_or_none(page) is None or focused(page)["type"] != "email":
        tab_to(page, lambda s: s["type"] == "email")
    page.keyboard.type(candidate_user.email)
    tab_to(page, lambda s: s["type"] == "password")
    page.keyboard.type("password-for-tests")
    page.keyboard.press("Enter")
    page.wait_for_url("**/parcours/")
    settle(page)

    # Mon parcours: the first Tab reaches the skip link, visible when focused; Enter moves the
    # focus to the content, and the next Tab is in the content, past the navigation.
    skip = tab_to(page, lambda s: True, limit=1)
    assert skip["tag"] == "a" and skip["text"] == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    first = tab_to(page, lambda s: True, limit=1)
    assert first["text"] == "S'inscrire à une certification", first
    page.keyboard.press("Enter")
    page.wait_for_url("**/parcours/nouveau/")
    settle(page)

    # The enrol form: choose with the arrow keys, send with Enter from a field.
    tab_to(page, lambda s: s["id"] == "id_certification")
    page.keyboard.press("ArrowDown")
    assert page.locator("#id_certification option:checked").inner_text() == TITLE
    tab_to(page, lambda s: s["id"] == "id_access_route")
    page.keyboard.press("Home")  # continuing education, the first route
    tab_to(page, lambda s: s["id"] == "id_start_date")
    page.keyboard.press("Enter")
    page.wait_for_url("**/parcours/")
    settle(page)
    assert "Vous êtes inscrit" in page.locator(".messages").inner_text()
    path = Path.objects.get(candidate__user=candidate_user)

    # The document upload: the file chooser opens from the keyboard, the form is sent with Enter.
    document = tmp_path / "attestation-employeur.pdf"
    document.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    file_input = f"id_p{path.pk}-file"
    tab_to(page, lambda s: s["id"] == file_input)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(document))
    kind = tab_to(page, lambda s: s["tag"] == "select" and s["id"].startswith(f"id_p{path.pk}-kind"))
    assert kind["outline"]
    button = tab_to(page, lambda s: s["tag"] == "button" and s["text"] == "Ajouter le document")
    assert button["outline"]
    # The form posts to /parcours/ and comes back to it: wait for that navigation, not the URL
    # (already /parcours/), or the message would be read before the upload is answered.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url("**/parcours/")
    settle(page)
    assert "Le document est ajouté à votre dossier" in page.locator(".messages").inner_text()
    assert Evidence.objects.get(path=path).original_name == "attestation-employeur.pdf"
    assert page.get_by_role("link", name="attestation-employeur.pdf").is_visible()
