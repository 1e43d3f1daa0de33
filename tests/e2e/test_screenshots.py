"""The README screenshots of the four main workspaces, taken from the demo data.

Every run checks the pages and writes the images under var/test-artifacts/screenshots/; with
UPDATE_SCREENSHOTS=1 they replace docs/screenshots/*.png (commit them):

    UPDATE_SCREENSHOTS=1 make test PYTEST_ARGS="tests/e2e/test_screenshots.py --no-cov"
"""

import io
import os

import pytest
from django.core.management import call_command

from cqp_portal.accounts.demo import DEMO_PASSWORD
from tests.conftest import ARTIFACTS, ROOT, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TARGET = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else ARTIFACTS / "screenshots"

# (file, demo user, page, heading that must be on it)
SHOTS = [
    ("candidate-my-path.png", "candidat@demo.cqp.fr", "/parcours/", "Mon parcours"),
    ("branch-admin-workspace.png", "admin.hcr@demo.cqp.fr", "/branche/", "Ma branche"),
    ("evaluator-worklist.png", "evaluateur@demo.cqp.fr", "/evaluations/", "Mes évaluations"),
    ("jury-sessions.png", "jury@demo.cqp.fr", "/jury/", "Mes sessions de jury"),
]


def settle(page):
    page.wait_for_load_state("load")
    page.wait_for_load_state("networkidle")


def test_readme_screenshots_of_the_four_workspaces(page):
    call_command("seed_demo", stdout=io.StringIO())
    TARGET.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    for name, email, url, heading in SHOTS:
        page.context.clear_cookies()
        login(page, email, DEMO_PASSWORD)
        settle(page)
        page.goto(page.base_url + url)
        settle(page)
        page.get_by_role("heading", name=heading, level=1).wait_for()
        page.screenshot(path=str(TARGET / name))
    # The deliberation grid of the first demo session that has one (being deliberated or closed).
    hrefs = page.locator("main table a").evaluate_all("links => links.map(a => a.href)")
    for href in hrefs:
        page.goto(href)
        settle(page)
        if page.get_by_role("link", name="Grille de délibération").count():
            break
    page.get_by_role("link", name="Grille de délibération").first.click()
    settle(page)
    page.get_by_role("heading", name="Grille de délibération", level=1).wait_for()
    page.screenshot(path=str(TARGET / "jury-grid.png"))
    sizes = {p.name: p.stat().st_size for p in TARGET.glob("*.png")}
    assert len(sizes) >= 5 and all(size < 400_000 for size in sizes.values()), sizes
