"""The personal access token page as a person uses it (Chromium): reached from the header,
a token created, its key shown once, revoked; axe finds nothing serious."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from cqp_portal.accounts.models import PersonalAccessToken
from tests.conftest import login

pytestmark = [pytest.mark.django_db(transaction=True)]


def assert_axe_clean(page):
    violations = [v for v in Axe().run(page).response["violations"] if v["impact"] in {"serious", "critical"}]
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in violations]


def test_create_then_revoke_a_personal_access_token(page, evaluator):
    login(page, evaluator.email)
    page.get_by_role("link", name="Jetons d’API").click()
    page.get_by_role("heading", name="Jetons d’accès à l’API", level=1).wait_for()
    page.get_by_label("Nom").fill("Export vers notre logiciel RH")
    page.get_by_label("Valable").select_option("30")
    page.get_by_role("button", name="Créer le jeton").click()
    key = page.locator("code.token-key").inner_text()
    assert key.startswith("cqp_")
    assert_axe_clean(page)
    page.screenshot(path="var/test-artifacts/access-tokens-created.png", full_page=True)

    page.get_by_role("button", name="Révoquer « Export vers notre logiciel RH »").click()
    page.get_by_text("Le jeton « Export vers notre logiciel RH » est révoqué.").wait_for()
    assert page.locator("code.token-key").count() == 0
    assert PersonalAccessToken.objects.get(user=evaluator).revoked_at is not None
    assert_axe_clean(page)
