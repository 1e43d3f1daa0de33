"""A branch administrator sees a registration ending within 6 months and a candidate whose jury
would come too late, opens the path, and downloads the renewal figures."""

import pytest
from django.utils import timezone

from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settle(page):
    page.wait_for_load_state("load")
    page.wait_for_load_state("networkidle")


def test_branch_admin_walks_the_renewal_section(page, branch_admin, branch):
    from candidates.models import Course, PathState, add_months
    from tests.factories.candidates import CandidateFactory, PathFactory
    from tests.factories.certifications import CertificationFactory, RegistrationFactory, published_version

    today = timezone.localdate()
    certification = CertificationFactory(branches=[branch], title="CQP Commis de cuisine")
    RegistrationFactory(certification=certification, number="RNCP39999", end_date=add_months(today, 4))
    version = published_version(certification, blocks=2)
    path = PathFactory(
        version=version, state=PathState.IN_COURSE, candidate=CandidateFactory(first_names="Inès", birth_name="Roux")
    )
    Course.objects.create(path=path, end_date=add_months(today, 5))

    login(page, branch_admin.email)
    settle(page)
    page.goto(f"{page.base_url}/branche/")
    settle(page)
    section = page.get_by_role("region", name="Renouvellement des enregistrements")
    assert section.get_by_text("Dans les 6 mois").is_visible()
    assert section.get_by_text(add_months(today, 4).strftime("%d/%m/%Y")).first.is_visible()
    assert section.get_by_text((add_months(today, 5)).strftime("%d/%m/%Y")).is_visible()
    with page.expect_download() as download:
        section.get_by_role("link", name="Chiffres du renouvellement (XLSX)").click()
    assert download.value.suggested_filename.startswith("renouvellement-toutes-")
    page.screenshot(path="/tmp/h8/renewals.png", full_page=True)
    section.get_by_role("link", name="Inès Roux").click()
    settle(page)
    assert page.url.endswith(f"/dossiers/{path.pk}/")
