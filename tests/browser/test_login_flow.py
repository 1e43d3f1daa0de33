import pytest

from cqp_portal.accounts.models import Role
from tests.conftest import login
from tests.factories.accounts import UserFactory, with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_in_french_then_workspace(page):
    with_role(Role.EVALUATOR, UserFactory(email="eva@example.org", first_name="Eva", last_name="Lune"))
    page.goto(f"{page.base_url}/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Se connecter").is_visible()
    login(page, "eva@example.org")
    page.wait_for_url("**/evaluations/")
    assert page.get_by_role("heading", name="Mes évaluations").is_visible()
    assert page.get_by_role("navigation", name="Navigation principale").is_visible()
