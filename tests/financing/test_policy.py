"""Who sees which funding lines and paths (one policy, used by pages and API)."""

import pytest

from candidates.models import Path
from cqp_portal import policy
from financing.models import FundingLine, FundingState
from tests.factories.financing import FunderFactory, FundingLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(path, other_path, opco_funder):
    return {
        "own_submitted": FundingLineFactory(path=path, funder=opco_funder, state=FundingState.SUBMITTED),
        "own_draft": FundingLineFactory(path=path, funder=opco_funder, state=FundingState.DRAFT),
        "other_funder": FundingLineFactory(path=path, funder=FunderFactory(), state=FundingState.SUBMITTED),
        "other_path": FundingLineFactory(path=other_path, funder=FunderFactory(), state=FundingState.SUBMITTED),
    }


def visible(user):
    return set(policy.scope(user, FundingLine).values_list("pk", flat=True))


def pks(lines, *names):
    return {lines[name].pk for name in names}


def test_funder_officers_see_submitted_lines_addressed_to_their_funder(funder_officer, lines):
    assert visible(funder_officer) == pks(lines, "own_submitted")


def test_candidates_see_their_own_paths_lines(candidate_user, other_candidate_user, lines):
    assert visible(candidate_user) == pks(lines, "own_submitted", "own_draft", "other_funder")
    assert visible(other_candidate_user) == pks(lines, "other_path")


def test_branch_admins_see_their_branches_lines(branch_admin, other_branch_admin, lines):
    assert visible(branch_admin) == pks(lines, "own_submitted", "own_draft", "other_funder")
    assert lines["own_submitted"].pk not in visible(other_branch_admin)


def test_provider_staff_see_their_paths_lines(provider_staff, lines):
    assert visible(provider_staff) == pks(lines, "own_submitted", "own_draft", "other_funder")


def test_funder_officers_read_the_paths_they_fund(funder_officer, lines, path, other_path):
    assert set(policy.scope(funder_officer, Path)) == {path}
    assert not policy.allowed(funder_officer, "path.manage", path)
    assert not policy.allowed(funder_officer, "funding.create", path)


def test_staff_see_all(staff_user, lines):
    assert visible(staff_user) == {line.pk for line in lines.values()}
