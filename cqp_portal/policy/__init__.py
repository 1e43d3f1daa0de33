"""The permission policy, shared by the HTML views and the API (never re-implemented per view).

Two questions, each answered here only:

- ``scope(user, Model)``: the objects of ``Model`` the user may see. List pages and list
  endpoints filter by it; detail pages fetch through it, so an object outside the scope is a
  404 (its existence is not revealed).
- ``allowed(user, action, obj)`` / ``require(...)``: whether the user may do ``action`` on an
  object they can see; refused → 403 (``NotAllowed``).

Each app contributes its rules in a sibling module (``policy/candidates.py``...). A scope is
the union (OR) of the ``Q`` objects its contributors return for the user; staff see everything.
"""

from collections import defaultdict
from collections.abc import Callable

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from cqp_portal.errors import NotAllowed

_scope_contributors: dict[str, list[Callable]] = defaultdict(list)
# Models whose every contributor tests the model's own columns only (no multi-valued join).
_joins: dict[str, bool] = defaultdict(bool)
_rules: dict[str, Callable] = {}

NOTHING = Q(pk__in=[])


def _label(model) -> str:
    return model._meta.label_lower


def scope_contributor(model_label: str, *, joins: bool = True):
    """Register a function ``(user) -> Q | None`` adding visible rows of ``model_label``.

    ``joins=False`` promises that the ``Q`` only tests the model's own columns (``col = x``,
    ``col IN (subquery)``): when every contributor of a model promises it, ``scope()`` filters
    directly instead of through a primary-key semi-join."""

    def decorator(func):
        _scope_contributors[model_label].append(func)
        _joins[model_label] = _joins[model_label] or joins
        return func

    return decorator


def rule(action: str):
    """Register the predicate ``(user, obj) -> bool`` for ``action`` (e.g. ``"path.withdraw"``)."""

    def decorator(func):
        if action in _rules:
            raise RuntimeError(f"rule {action!r} registered twice")
        _rules[action] = func
        return func

    return decorator


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def scope_q(user, model) -> Q:
    if not (user and user.is_authenticated and user.is_active):
        return NOTHING
    if user.is_staff:
        return Q()
    combined = NOTHING
    for contributor in _scope_contributors.get(_label(model), []):
        q = contributor(user)
        if q is None:
            continue
        if not q:
            # An empty Q means "every row"; OR-ing it would silently drop it.
            return Q()
        combined |= q
    return combined


def scope(user, model, queryset: QuerySet | None = None) -> QuerySet:
    qs = queryset if queryset is not None else model._default_manager.all()
    q = scope_q(user, model)
    if q == NOTHING:
        return qs.none()
    if not q:
        return qs
    if not _joins[_label(model)]:
        return qs.filter(q)
    # Contributors may follow multi-valued relations (duplicate rows): a semi-join on the
    # primary key keeps one row per object without a DISTINCT over every selected column,
    # which PostgreSQL would have to sort (measured: 200-300 ms on 100,000 paths).
    return qs.filter(pk__in=model._default_manager.filter(q).values("pk"))


def allowed(user, action: str, obj: Model | None = None) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if action not in _rules:
        raise KeyError(f"no policy rule for {action!r}")
    if user.is_staff:
        return True
    return bool(_rules[action](user, obj))


def require(user, action: str, obj: Model | None = None) -> None:
    if not allowed(user, action, obj):
        raise NotAllowed()


def get_visible_or_404(user, model, queryset: QuerySet | None = None, **lookup):
    try:
        return scope(user, model, queryset).get(**lookup)
    except model.DoesNotExist:
        raise Http404 from None


def registered_actions() -> list[str]:
    return sorted(_rules)


# Register every app's rules (import for side effects, at the end on purpose).
from cqp_portal.policy import candidates, certifications, financing, juries  # noqa: E402, F401
