"""The course through the path page: a habilitated provider on the dates, then progress."""

import datetime

import pytest

from candidates.models import BlockPlan, PathState
from cqp_portal.audit.models import AuditEntry
from tests.factories.candidates import PathFactory, plan_blocks
from tests.factories.certifications import habilitate_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def positioned(branch, provider):
    path = PathFactory(state=PathState.POSITIONING)
    path.certification.branches.set([branch])
    for row in plan_blocks(path, BlockPlan.TO_TRAIN):
        row.planned_hours = 35
        row.confirmed_at = datetime.datetime.now(tz=datetime.UTC)
        row.save()
    return path


def test_branch_admin_starts_the_course_with_a_habilitated_provider_then_records_progress(
    client, branch_admin, positioned, provider
):
    habilitate_provider(positioned.certification, provider, valid_until=datetime.date(2030, 12, 31))
    client.force_login(branch_admin)
    page = client.get(f"/dossiers/{positioned.pk}/").content.decode()
    assert "Démarrer la formation" in page
    response = client.post(
        f"/dossiers/{positioned.pk}/formation/",
        {"training_provider": provider.pk, "start_date": "2026-12-01", "end_date": "2027-03-31"},
    )
    assert response.status_code == 302
    positioned.refresh_from_db()
    assert positioned.state == PathState.IN_COURSE
    assert positioned.course.start_date == datetime.date(2026, 12, 1)
    first = positioned.path_blocks.order_by("block__order").first()
    client.post(
        f"/dossiers/{positioned.pk}/formation/avancement/",
        {f"hours_{row.block_id}": 10 for row in positioned.path_blocks.all()},
    )
    first.refresh_from_db()
    assert first.completed_hours == 10
    assert AuditEntry.objects.filter(action="course.progress", object_id=str(positioned.pk)).exists()


def test_a_provider_not_habilitated_on_the_dates_is_refused_and_nothing_changes(
    client, branch_admin, positioned, provider
):
    habilitate_provider(positioned.certification, provider, valid_until=datetime.date(2026, 12, 31))
    client.force_login(branch_admin)
    response = client.post(
        f"/dossiers/{positioned.pk}/formation/",
        {"training_provider": provider.pk, "start_date": "2026-12-01", "end_date": "2027-03-31"},
        follow=True,
    )
    assert "habilit" in response.content.decode()
    positioned.refresh_from_db()
    assert positioned.state == PathState.POSITIONING
