"""Rules for certificates, attestations and CDC exports (registered from the app's ready()).

Holders see their own documents; branch administrators those of their branches'
certifications (a CQPI: any owning branch). The public sees one certificate through its
verification code only, never through this policy.
"""

from django.db.models import Q

from cqp_portal.policy import rule, scope_contributor
from cqp_portal.policy.roles import admin_branch_ids


def administers(user, certification) -> bool:
    branch_ids = admin_branch_ids(user)
    if not branch_ids:
        return False
    # Prefetched branches (list pages) avoid one query per row.
    return any(b.pk in branch_ids for b in certification.branches.all())


def manages_session_certificates(user, session) -> bool:
    """Administrators of a branch owning every certification the session covers."""
    branch_ids = admin_branch_ids(user)
    certifications = list(session.certifications.all())
    if not branch_ids or not certifications:
        return False
    return all(any(b.pk in branch_ids for b in c.branches.all()) for c in certifications)


def presides_session(user, session) -> bool:
    return session.members.filter(user=user, is_president=True).exists()


@scope_contributor("certificates.certificate")
def _certificates(user):
    q = Q(path__candidate__user=user)
    branch_ids = admin_branch_ids(user)
    return q | Q(certification__branches__in=branch_ids) if branch_ids else q


@scope_contributor("certificates.cdcexport")
def _exports(user):
    branch_ids = admin_branch_ids(user)
    return Q(certifier__commission__branches__in=branch_ids) if branch_ids else None


@rule("certificate.download")
def _download(user, certificate):
    return certificate.path.candidate.user_id == user.pk or administers(user, certificate.certification)


@rule("certificate.revoke")
def _revoke(user, certificate):
    return administers(user, certificate.certification)


@rule("certificate.reissue")
def _reissue(user, certificate):
    return administers(user, certificate.certification)


@rule("certificate.view_register")
def _view_register(user, obj=None):
    return bool(admin_branch_ids(user))


@rule("certificate.session_progress")
def _progress(user, session):
    return manages_session_certificates(user, session) or session.members.filter(user=user).exists()


@rule("certificate.retry")
def _retry(user, session):
    return manages_session_certificates(user, session) or presides_session(user, session)


@rule("cdc.export")
def _cdc_export(user, obj=None):
    return bool(admin_branch_ids(user))


@scope_contributor("certificates.cdcexportjob")
def _export_jobs(user):
    """A job shows who is being left out of the export: only the administrator who asked sees it."""
    return Q(created_by=user) if admin_branch_ids(user) else None


@scope_contributor("certificates.cdcreport")
def _reports(user):
    branch_ids = admin_branch_ids(user)
    return Q(export__certifier__commission__branches__in=branch_ids) if branch_ids else None
