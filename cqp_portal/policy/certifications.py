"""Rules for branches, certifications, référentiels and habilitations."""

from django.db.models import Q

from cqp_portal.policy import rule, scope_contributor
from cqp_portal.policy.roles import admin_branch_ids

# "Every row", spelled so that OR-ing it with the policy's empty starting Q keeps it: an
# empty Q() is dropped by Q.__or__ and would hide everything.
EVERY_ROW = Q(pk__isnull=False)


def administers_certification(user, certification) -> bool:
    # A CQPI is editable by administrators of any of its owning branches.
    branch_ids = admin_branch_ids(user)
    return bool(branch_ids) and certification.branches.filter(pk__in=branch_ids).exists()


@scope_contributor("certifications.certification")
def _certifications_public(user):
    return EVERY_ROW  # the register is public: every signed-in user sees every certification


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


@scope_contributor("certifications.branch")
def _branches_public(user):
    return EVERY_ROW  # branches and their IDCC are public facts


@scope_contributor("certifications.trainingprovider")
def _providers_public(user):
    return EVERY_ROW


@scope_contributor("certifications.skillblock")
def _blocks(user):
    # Blocks follow their version: drafts only for the owning branches' administrators.
    branch_ids = admin_branch_ids(user)
    published = ~Q(version__state="draft")
    return published | Q(version__certification__branches__in=branch_ids) if branch_ids else published


@scope_contributor("certifications.blockequivalence")
def _equivalences(user):
    return EVERY_ROW  # passerelles are public, like the register they come from


@scope_contributor("certifications.importjob")
def _import_jobs(user):
    return Q(created_by=user)


@rule("habilitation.manage")
def _manage_habilitations(user, certification):
    return administers_certification(user, certification)


@rule("equivalence.manage")
def _manage_equivalences(user, certification):
    return administers_certification(user, certification)
