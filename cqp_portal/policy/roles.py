"""Small facts about a user's roles, used by the rule modules. They all come from
``User.role_assignments``: one query per request, whatever the number of checks."""

from cqp_portal.accounts.models import Role

_COLUMN = {"branch_id": 1, "training_provider_id": 2, "funder_id": 3}


def _scoped_ids(user, role: str, field: str) -> frozenset[int]:
    column = _COLUMN[field]
    return frozenset(row[column] for row in user.role_assignments if row[0] == role and row[column] is not None)


def admin_branch_ids(user) -> frozenset[int]:
    return _scoped_ids(user, Role.BRANCH_ADMIN, "branch_id")


def provider_ids(user) -> frozenset[int]:
    return _scoped_ids(user, Role.PROVIDER_STAFF, "training_provider_id")


def funder_ids(user) -> frozenset[int]:
    return _scoped_ids(user, Role.FUNDER_OFFICER, "funder_id")
