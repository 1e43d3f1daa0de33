"""Fixed personas (style.md #8). Apps extend them with domain objects in their own tests."""

import pytest

from cqp_portal.accounts.models import Role
from tests.factories.accounts import UserFactory, with_role
from tests.factories.certifications import BranchFactory, TrainingProviderFactory
from tests.factories.financing import FunderFactory


@pytest.fixture
def branch(db):
    return BranchFactory(name="Hôtels, cafés, restaurants", idcc="1979")


@pytest.fixture
def other_branch(db):
    return BranchFactory(name="Métallurgie", idcc="3248")


@pytest.fixture
def candidate_user(db):
    return with_role(Role.CANDIDATE, UserFactory(email="candidate.a@example.org"))


@pytest.fixture
def other_candidate_user(db):
    return with_role(Role.CANDIDATE, UserFactory(email="candidate.b@example.org"))


@pytest.fixture
def evaluator(db):
    return with_role(Role.EVALUATOR, UserFactory(email="evaluator@example.org"))


@pytest.fixture
def other_evaluator(db):
    return with_role(Role.EVALUATOR, UserFactory(email="other.evaluator@example.org"))


@pytest.fixture
def jury_member(db):
    return with_role(Role.JURY_MEMBER, UserFactory(email="jury@example.org"))


@pytest.fixture
def other_jury_member(db):
    return with_role(Role.JURY_MEMBER, UserFactory(email="other.jury@example.org"))


@pytest.fixture
def branch_admin(db, branch):
    return with_role(Role.BRANCH_ADMIN, UserFactory(email="admin@example.org"), branch=branch)


@pytest.fixture
def other_branch_admin(db, other_branch):
    return with_role(Role.BRANCH_ADMIN, UserFactory(email="other.admin@example.org"), branch=other_branch)


@pytest.fixture
def provider(db):
    return TrainingProviderFactory(name="Organisme de test")


@pytest.fixture
def provider_staff(db, provider):
    return with_role(Role.PROVIDER_STAFF, UserFactory(email="provider@example.org"), training_provider=provider)


@pytest.fixture
def funder(db):
    return FunderFactory(name="AKTO test")


@pytest.fixture
def funder_officer(db, funder):
    return with_role(Role.FUNDER_OFFICER, UserFactory(email="funder@example.org"), funder=funder)


@pytest.fixture
def staff_user(db):
    return UserFactory(email="staff@example.org", is_staff=True, is_superuser=True)
