import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from candidates.models import Path
from cqp_portal import policy
from cqp_portal.accounts.models import Role, RoleAssignment
from cqp_portal.errors import NotAllowed
from tests.factories.accounts import UserFactory


@pytest.mark.django_db
def test_a_branch_admin_role_must_name_its_branch():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.BRANCH_ADMIN)


@pytest.mark.django_db
def test_an_unscoped_role_cannot_carry_a_branch(branch):
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.EVALUATOR, branch=branch)


@pytest.mark.django_db
def test_a_person_can_hold_several_roles(branch, provider):
    user = UserFactory()
    RoleAssignment.objects.create(user=user, role=Role.BRANCH_ADMIN, branch=branch)
    RoleAssignment.objects.create(user=user, role=Role.EVALUATOR)
    assert user.role_set == {Role.BRANCH_ADMIN, Role.EVALUATOR}


@pytest.mark.django_db
def test_anonymous_and_inactive_users_see_nothing_and_may_do_nothing(staff_user):
    assert list(policy.scope(AnonymousUser(), Path)) == []
    staff_user.is_active = False
    assert policy.allowed(staff_user, "path.manage", None) is False
    with pytest.raises(NotAllowed):
        policy.require(AnonymousUser(), "path.manage", None)


@pytest.mark.django_db
def test_unknown_actions_are_a_programming_error(staff_user):
    with pytest.raises(KeyError):
        policy.allowed(staff_user, "no.such.action")


@pytest.mark.django_db
def test_a_contributor_granting_every_row_is_not_lost(candidate_user):
    from certifications.models import Certification
    from tests.factories.certifications import CertificationFactory

    CertificationFactory.create_batch(2)
    assert policy.scope(candidate_user, Certification).count() == 2
