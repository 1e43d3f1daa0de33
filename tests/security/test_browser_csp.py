"""The Content-Security-Policy in a real browser: a violation is a console error, which fails
the ``page`` fixture."""

import pytest

from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_and_the_api_docs_run_under_the_csp(page, candidate_user):
    login(page, candidate_user.email)
    page.goto(f"{page.base_url}/parcours/")
    assert page.get_by_role("heading", name="Mon parcours").is_visible()
    csp = page.evaluate("() => fetch('/parcours/').then(r => r.headers.get('content-security-policy'))")
    assert "script-src 'self'" in csp
    page.goto(f"{page.base_url}/api/docs/")
    page.wait_for_selector(".swagger-ui .information-container", timeout=20000)
    assert page.locator(".swagger-ui").is_visible()
