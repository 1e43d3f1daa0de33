"""Rules for funding lines: who sees them, who asks, who decides."""

from django.db.models import Q

from cqp_portal.policy import allowed, rule, scope_contributor
from cqp_portal.policy.roles import admin_branch_ids, funder_ids, provider_ids


@scope_contributor("financing.fundingline")
def _funding_lines(user):
    q = Q(path__candidate__user=user)
    if funder_ids(user):
        # A draft is not addressed to the funder yet: it appears once submitted.
        q |= Q(funder__in=funder_ids(user), submitted_at__isnull=False)
    if admin_branch_ids(user):
        q |= Q(path__certification__branches__in=admin_branch_ids(user))
    if provider_ids(user):
        q |= Q(path__training_provider__in=provider_ids(user))
    return q


@scope_contributor("candidates.path", joins=False)
def _paths_funded(user):
    # Funder officers read the paths they were asked to fund (read only: no path rule names them).
    if funder_ids(user):
        from financing.models import FundingLine

        lines = FundingLine.objects.filter(funder__in=funder_ids(user), submitted_at__isnull=False)
        return Q(pk__in=lines.values("path_id"))
    return None


def _asks_for(user, path) -> bool:
    """The candidate and the people who manage the path (provider staff, branch administrators)."""
    return path.candidate.user_id == user.pk or allowed(user, "path.manage", path)


def _officer_of(user, line) -> bool:
    return line.funder_id in funder_ids(user)


@rule("funding.create")
def _create(user, path):
    return _asks_for(user, path)


@rule("funding.submit")
def _submit(user, line):
    return _asks_for(user, line.path)


@rule("funding.decide")
def _decide(user, line):
    return _officer_of(user, line)


@rule("funding.invoice")
def _invoice(user, line):
    return _officer_of(user, line)


@rule("funding.pay")
def _pay(user, line):
    return _officer_of(user, line)


@rule("funding.cancel")
def _cancel(user, line):
    # The asking side withdraws its request; the funder says no by refusing, not cancelling.
    return _asks_for(user, line.path)


@rule("funding.report")
def _report(user, obj=None):
    return bool(admin_branch_ids(user))
