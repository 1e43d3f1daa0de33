"""Rules for branches, certifications, référentiels and habilitations."""

from django.db.models import Q

from cqp_portal.policy import rule, scope_contributor
from cqp_portal.policy.roles import admin_branch_ids


def administers_certification(user, certification) -> bool:
    # A CQPI is editable by administrators of any of its owning branches.
    branch_ids = admin_branch_ids(user)
    return bool(branch_ids) and certification.branches.filter(pk__in=branch_ids).exists()


@scope_contributor("certifications.certification")
def _certifications_public(user):
    return Q()  # the register is public: every signed-in user sees every certification


@scope_contributor("certifications.referentialversion")
def _versions(user):
    branch_ids = admin_branch_ids(user)
    published = ~Q(state="draft")
    return published | Q(certification__branches__in=branch_ids) if branch_ids else published


@scope_contributor("certifications.habilitation")
def _habilitations(user):
    return Q(certification__branches__in=admin_branch_ids(user)) | Q(evaluator=user)


@rule("certification.administer")
def _administer(user, certification):
    return administers_certification(user, certification)


@rule("referential.edit")
def _edit_version(user, version):
    return administers_certification(user, version.certification)


@rule("referential.publish")
def _publish_version(user, version):
    return administers_certification(user, version.certification)


@rule("certifications.import")
def _import(user, obj=None):
    return bool(admin_branch_ids(user))
