import pytest

from certifications.demo import seed_organisations
from cqp_portal.accounts.demo import seed_users
from financing import demo, demo_lines
from financing.models import FundingLine, FundingState, Scheme
from tests.factories.candidates import PathFactory

pytestmark = pytest.mark.django_db


def test_demo_lines_cover_every_state_and_scheme_and_are_idempotent():
    context = seed_organisations()
    demo.seed(context)
    users = seed_users(branches=context["branches"], providers=context["providers"], funders=context["funders"])
    paths = PathFactory.create_batch(5)
    paths[0].certification.branches.set([context["branches"]["1979"]])
    context["paths"] = {f"p{i}": p for i, p in enumerate(paths)}

    demo_lines.seed(context)
    assert set(FundingLine.objects.values_list("state", flat=True)) == set(FundingState.values)
    assert set(FundingLine.objects.values_list("scheme", flat=True)) == set(Scheme.values)
    two_funders = FundingLine.objects.filter(path=paths[0]).values("funder").distinct().count()
    assert two_funders >= 2
    from cqp_portal import policy

    officer = users["financeur@demo.cqp.fr"]
    assert policy.scope(officer, FundingLine).filter(state=FundingState.SUBMITTED).exists()

    count = FundingLine.objects.count()
    demo_lines.seed(context)
    assert FundingLine.objects.count() == count


def test_demo_lines_skip_without_paths():
    context = seed_organisations()
    demo.seed(context)
    demo_lines.seed(context)
    assert not FundingLine.objects.exists()
