"""Rules for jury sessions, members, dossiers, decisions and appeals.

Members see the sessions they sit on; branch administrators the sessions covering a
certification of their branch(es); candidates their own final decisions.
"""

from django.db.models import Q

from cqp_portal.policy import rule, scope_contributor
from cqp_portal.policy.roles import admin_branch_ids


def _admin_q(user, prefix: str) -> Q | None:
    branch_ids = admin_branch_ids(user)
    if not branch_ids:
        return None
    return Q(**{f"{prefix}certifications__branches__in": branch_ids})


@scope_contributor("juries.jurysession")
def _sessions(user):
    q = Q(members__user=user)
    admin = _admin_q(user, "")
    return q | admin if admin is not None else q


@scope_contributor("juries.jurymember")
def _members(user):
    q = Q(session__members__user=user)
    admin = _admin_q(user, "session__")
    return q | admin if admin is not None else q


@scope_contributor("juries.dossier")
def _dossiers(user):
    q = Q(session__members__user=user) | Q(path__candidate__user=user)
    admin = _admin_q(user, "session__")
    return q | admin if admin is not None else q


@scope_contributor("juries.decision")
def _decisions(user):
    # A proposed decision is the jury's working draft: the candidate sees only final ones.
    q = Q(dossier__session__members__user=user) | Q(dossier__path__candidate__user=user, state="final")
    admin = _admin_q(user, "dossier__session__")
    return q | admin if admin is not None else q


@scope_contributor("juries.appeal")
def _appeals(user):
    q = Q(decision__dossier__path__candidate__user=user)
    admin = _admin_q(user, "decision__dossier__session__")
    return q | admin if admin is not None else q


@scope_contributor("candidates.path", joins=False)
def _paths_in_my_sessions(user):
    # Jury members examine the full dossier of the paths their sessions decide on.
    from juries.models import Dossier

    return Q(pk__in=Dossier.objects.filter(session__members__user=user).values("path_id"))


@scope_contributor("candidates.candidate")
def _candidates_in_my_sessions(user):
    return Q(paths__jury_dossiers__session__members__user=user)


# --- predicates -------------------------------------------------------------------------


def administers_all(user, certifications) -> bool:
    """A session is managed by administrators of a branch owning every certification it covers
    (a CQPI is owned by several branches: any of them will do for that certification)."""
    branch_ids = admin_branch_ids(user)
    if not branch_ids:
        return False
    certifications = list(certifications)
    if not certifications:
        return False
    for certification in certifications:
        owners = {b.pk for b in certification.branches.all()}
        if not owners & branch_ids:
            return False
    return True


def manages_session(user, session) -> bool:
    return administers_all(user, session.certifications.all())


def member_of(user, session):
    """The user's membership row in ``session``, or None (cached on the session instance)."""
    cache = session.__dict__.setdefault("_member_cache", {})
    if user.pk not in cache:
        cache[user.pk] = session.members.filter(user=user).first()
    return cache[user.pk]


def presides(user, session) -> bool:
    member = member_of(user, session)
    return bool(member and member.is_president)


@rule("jury_session.plan")
def _plan(user, certifications=None):
    """``certifications``: the certifications the new session would cover (None: any of them)."""
    if certifications is None:
        return bool(admin_branch_ids(user))
    return administers_all(user, certifications)


@rule("jury_session.manage")
def _manage(user, session):
    return manages_session(user, session)


@rule("jury_session.deliberate")
def _deliberate(user, session):
    return member_of(user, session) is not None


@rule("jury_session.preside")
def _preside(user, session):
    return presides(user, session)


@rule("jury_session.record_attendance")
def _attendance(user, session):
    return presides(user, session) or manages_session(user, session)


@rule("jury_session.ratify")
def _ratify(user, session):
    return manages_session(user, session)


@rule("jury_session.view_minutes")
def _view_minutes(user, session):
    return member_of(user, session) is not None or manages_session(user, session)


@rule("jury_member.declare_link")
def _declare_link(user, member):
    return member.user_id == user.pk or manages_session(user, member.session)


@rule("jury_decision.correct")
def _correct(user, decision):
    session = decision.dossier.session
    return presides(user, session) or manages_session(user, session)


@rule("jury_appeal.file")
def _file_appeal(user, decision):
    return decision.dossier.path.candidate.user_id == user.pk


@rule("jury_appeal.decide")
def _decide_appeal(user, appeal):
    # The configured appeal body is a commission of the owning branch(es): its administrators decide.
    return manages_session(user, appeal.decision.dossier.session)
