"""axe-core on every page the demo users reach: log in as each demo role, crawl the links of
the navigation and of the pages (same origin, GET only, depth 2, a cap per role), and fail on
any violation of impact "serious" or "critical"."""

import io
import re
import time
from urllib.parse import urldefrag, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from candidates.models import BlockPlan, Path, PathState
from cqp_portal.accounts.demo import DEMO_PASSWORD
from juries.certificates.models import Certificate, CertificateState
from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = [
    "candidat@demo.cqp.fr",
    "evaluateur@demo.cqp.fr",
    "admin.hcr@demo.cqp.fr",
    "admin.metallurgie@demo.cqp.fr",
    "jury@demo.cqp.fr",
    "organisme@demo.cqp.fr",
    "financeur@demo.cqp.fr",
]
MAX_DEPTH = 2
MAX_PAGES_PER_ROLE = 16
# /dossiers/12/ and /dossiers/13/ are one template: two of a shape show its variants (a path in
# evaluation, one in positioning) without visiting all thirty.
SAME_SHAPE = 2
# Two branch administrators see the same templates with other data: the second one is a check.
MAX_PAGES_FOR = {"admin.metallurgie@demo.cqp.fr": 10}


def extra_starts(email: str) -> list[str]:
    """Pages a role reaches deep in its work that a bounded crawl would miss: the evaluator's
    worklist lists thirty paths by state, the ones in evaluation (with the assessment form) last;
    nothing in the portal links to a certificate's public verification page (the QR code does)."""
    if email == "admin.hcr@demo.cqp.fr":
        # The public verification page, opened from a certificate's QR code; the publish screen of
        # the serveur draft v2 (its correspondence form), reached from the draft's page.
        from certifications.models import ReferentialState, ReferentialVersion

        certificate = Certificate.objects.filter(state=CertificateState.ISSUED).order_by("pk").first()
        draft = ReferentialVersion.objects.get(
            certification__code="cqp-serveur-restauration", state=ReferentialState.DRAFT
        )
        return [certificate.verification_path, f"/branche/versions/{draft.pk}/publier/"]
    if email != "evaluateur@demo.cqp.fr":
        return []
    path = Path.objects.filter(evaluator__email=email, state=PathState.IN_EVALUATION).order_by("pk").first()
    assessed = path.assessments.values("block_id")
    block = path.path_blocks.exclude(plan=BlockPlan.HELD).exclude(block_id__in=assessed).first().block
    return [f"/dossiers/{path.pk}/", f"/dossiers/{path.pk}/blocs/{block.pk}/evaluation/"]


# Not ours (Django admin, API docs), not a page (files, JSON), or not a GET a person follows.
SKIP = re.compile(
    r"^/(admin|api|i18n|static|deconnexion|connexion|healthz|livez)/?"
    r"|\.(json|csv|pdf|zip|xml)$|/(pdf|pv|export|telecharger|pieces/\d+)/?$|/pieces/\d+/$"
)
SEVERE = {"serious", "critical"}


def shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def links_on(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("nav a[href], main a[href]", "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        url, _ = urldefrag(href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(page, axe, email: str) -> tuple[list[str], list[str]]:
    origin = page.base_url
    page.context.clear_cookies()
    login(page, email, DEMO_PASSWORD)
    page.wait_for_load_state("networkidle")
    start = urlsplit(page.url).path
    queue = [(start, 0)] + [(url, MAX_DEPTH) for url in extra_starts(email)]
    seen, shapes, visited, problems = {url for url, _ in queue}, {}, [], []
    while queue and len(visited) < MAX_PAGES_FOR.get(email, MAX_PAGES_PER_ROLE):
        path, depth = queue.pop(0)
        # Only real HTML pages that answer 200: downloads and refusals are not crawled.
        probe = page.request.get(origin + path, max_redirects=0)
        if probe.status != 200 or not probe.headers.get("content-type", "").startswith("text/html"):
            continue
        page.goto(origin + path)
        page.wait_for_load_state("networkidle")
        visited.append(path)
        results = axe.run(page)
        for violation in results.response["violations"]:
            if violation["impact"] in SEVERE:
                targets = "; ".join(str(node["target"]) for node in violation["nodes"][:4])
                problems.append(f"{email} {path}: [{violation['impact']}] {violation['id']} — {targets}")
        if depth >= MAX_DEPTH:
            continue
        for link in links_on(page, origin):
            key = shape(urlsplit(link).path)
            if link in seen or shapes.get(key, 0) >= SAME_SHAPE:
                continue
            seen.add(link)
            shapes[key] = shapes.get(key, 0) + 1
            queue.append((link, depth + 1))
    return visited, problems


def test_every_page_of_every_demo_role_passes_axe(page):
    call_command("seed_demo", stdout=io.StringIO())
    axe = Axe()
    started = time.monotonic()
    report, problems = [], []
    for email in ROLES:
        visited, found = crawl(page, axe, email)
        assert len(visited) >= 2, f"{email} reached only {visited}"
        report.append(f"{email}: {len(visited)} pages: {' '.join(visited)}")
        problems.extend(found)
    print("\n".join(report), f"\n{time.monotonic() - started:.0f} s")
    assert not problems, "axe violations (serious or critical):\n" + "\n".join(problems)


def test_axe_is_injected_and_reports_a_serious_violation(page):
    """The check above could pass by never running: here it must flag an input without label."""
    page.set_content('<html lang="fr"><head><title>t</title></head><body><main><input></main></body></html>')
    violations = Axe().run(page).response["violations"]
    assert any(v["id"] == "label" and v["impact"] in SEVERE for v in violations), violations
