"""Small, cached facts about a user's roles, used by the rule modules."""

from cqp_portal.accounts.models import Role


def _cache(user) -> dict:
    if not hasattr(user, "_policy_cache"):
        user._policy_cache = {}
    return user._policy_cache


def _scoped_ids(user, role: str, field: str) -> frozenset[int]:
    cache = _cache(user)
    key = (role, field)
    if key not in cache:
        cache[key] = frozenset(
            user.roles.filter(role=role).exclude(**{f"{field}__isnull": True}).values_list(field, flat=True)
        )
    return cache[key]


def admin_branch_ids(user) -> frozenset[int]:
    return _scoped_ids(user, Role.BRANCH_ADMIN, "branch_id")


def provider_ids(user) -> frozenset[int]:
    return _scoped_ids(user, Role.PROVIDER_STAFF, "training_provider_id")


def funder_ids(user) -> frozenset[int]:
    return _scoped_ids(user, Role.FUNDER_OFFICER, "funder_id")
