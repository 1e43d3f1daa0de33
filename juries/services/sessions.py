"""Planning a jury session: creating it, seating and removing its members, recording their
presence and the links they declare with candidates, and adding or removing the dossiers
(paths ready for jury) it examines.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from candidates.models import Path, PathState
from cqp_portal import policy
from cqp_portal.accounts.models import Role
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import Conflict, RuleViolation
from cqp_portal.tasks import enqueue_on_commit
from juries import selectors
from juries.models import College, Decision, Dossier, JuryMember, JurySession, MemberLink, SessionState
from juries.services._common import _lock_session, _require_state


def _lock_for_composition(session, *, by, message: str) -> JurySession:
    """Lock the session for a change of its members or dossiers: allowed to those who manage it,
    and only before the deliberation starts (planned or convened). Call it inside the
    transaction."""
    session = _lock_session(session)
    policy.require(by, "jury_session.manage", session)
    _require_state(session, SessionState.PLANNED, SessionState.CONVENED, message=message)
    return session


def _send_convocations_if_convened(session) -> None:
    """A member or dossier added once the session is convened is convened too; the task writes
    only to those not convened yet, so the others never get a second convocation."""
    if session.state == SessionState.CONVENED:
        from juries import tasks

        enqueue_on_commit(tasks.send_convocations, session.pk)


def jury_session_create(
    *, certifications, date: datetime.date, by, place: str = "", video_link: str = "", title: str = ""
) -> JurySession:
    certifications = list(certifications)
    if not certifications:
        raise RuleViolation(_("A session covers at least one certification."), field="certifications")
    if not (place.strip() or video_link.strip()):
        raise RuleViolation(_("Give the place of the session or its video link."), field="place")
    policy.require(by, "jury_session.plan", certifications)
    if date < timezone.localdate():
        # A session is planned ahead: a past date would award on a day the jury never sat.
        raise RuleViolation(
            _("A jury session is planned for today or a later date, not in the past (%(date)s).")
            % {"date": date_format(date)},
            field="date",
            code="date_in_past",
        )
    with transaction.atomic():
        session = JurySession.objects.create(
            title=title, date=date, place=place.strip(), video_link=video_link.strip(), created_by=by
        )
        session.certifications.set(certifications)
        audit_record(
            subject=session,
            action="jury_session.create",
            by=by,
            to_state=session.state,
            changes={"certifications": [c.code for c in certifications], "date": date.isoformat()},
        )
    return session


def jury_member_add(*, session, user, college: str, by, is_president: bool = False) -> JuryMember:
    if college not in College.values:
        raise RuleViolation(_("Unknown college."), field="college")
    with transaction.atomic():
        session = _lock_for_composition(session, by=by, message=_("Members are added before the deliberation starts."))
        if not user.has_role(Role.JURY_MEMBER):
            raise RuleViolation(_("%(person)s does not hold the jury member role.") % {"person": user}, field="user")
        members = list(session.members.all())
        if any(m.user_id == user.pk for m in members):
            raise RuleViolation(_("%(person)s is already a member of this session.") % {"person": user}, field="user")
        if is_president and any(m.is_president for m in members):
            raise RuleViolation(_("This session already has a president."), field="is_president")
        rules = selectors.composition_rules(session)
        seats = {
            College.EMPLOYER: rules.employer_seats,
            College.EMPLOYEE: rules.employee_seats,
            College.EXPERT: rules.max_experts,
        }[college]
        if sum(1 for m in members if m.college == college) >= seats:
            raise RuleViolation(
                _("The %(college)s has %(seats)s seat(s), all taken.")
                % {"college": College(college).label.lower(), "seats": seats},
                field="college",
            )
        member = JuryMember.objects.create(session=session, user=user, college=college, is_president=is_president)
        audit_record(
            subject=session,
            action="jury_member.add",
            by=by,
            changes={"user": user.email, "college": college, "president": is_president},
        )
        _send_convocations_if_convened(session)
    return member


def jury_member_remove(*, member, by) -> None:
    with transaction.atomic():
        session = _lock_for_composition(
            member.session, by=by, message=_("Members are removed before the deliberation starts.")
        )
        audit_record(subject=session, action="jury_member.remove", by=by, changes={"user": member.user.email})
        member.delete()


def jury_member_set_presence(*, member, present: bool, by) -> JuryMember:
    with transaction.atomic():
        session = _lock_session(member.session)
        policy.require(by, "jury_session.record_attendance", session)
        _require_state(
            session,
            SessionState.CONVENED,
            SessionState.DELIBERATING,
            message=_("Attendance is recorded on the day of the session, before it is closed."),
        )
        member = JuryMember.objects.select_for_update().get(pk=member.pk)
        member.present = present
        member.save(update_fields=["present"])
        audit_record(
            subject=session,
            action="jury_member.presence",
            by=by,
            changes={"user": member.user.email, "present": present},
        )
    return member


def member_link_declare(*, member, candidate, kind: str, by, note: str = "") -> MemberLink:
    policy.require(by, "jury_member.declare_link", member)
    with transaction.atomic():
        session = _lock_session(member.session)
        if not session.is_open:
            raise RuleViolation(_("Links are declared before the session is closed."))
        link, created = MemberLink.objects.get_or_create(
            member=member, candidate=candidate, kind=kind, defaults={"note": note}
        )
        if created:
            audit_record(
                subject=session,
                action="jury_member.declare_link",
                by=by,
                changes={"member": member.user.email, "candidate": candidate.pk, "kind": kind},
            )
    return link


def dossier_add(*, session, path, by) -> Dossier:
    with transaction.atomic():
        session = _lock_for_composition(session, by=by, message=_("Dossiers are added before the deliberation starts."))
        path = Path.objects.select_for_update().select_related("candidate", "certification").get(pk=path.pk)
        if path.state != PathState.READY_FOR_JURY:
            raise RuleViolation(
                _("Only a path ready for jury can be examined; this one is “%(state)s”.")
                % {"state": path.get_state_display()},
                field="path",
            )
        if not session.certifications.filter(pk=path.certification_id).exists():
            raise RuleViolation(
                _("This session does not cover %(certification)s.") % {"certification": path.certification},
                field="path",
            )
        other = Dossier.objects.filter(path=path, is_open=True).select_related("session").first()
        if other is not None:
            raise RuleViolation(
                _("This path is already in the open session of %(date)s: a path is in at most one open session.")
                % {"date": date_format(other.session.date)},
                field="path",
                code="path_in_open_session",
            )
        registration = path.certification.registration_or_none
        if registration is not None and not registration.can_deliver_on(session.date):
            raise RuleViolation(
                _("The registration of %(certification)s no longer allows awards on %(date)s (last delivery date).")
                % {"certification": path.certification, "date": date_format(session.date)},
                field="path",
            )
        try:
            with transaction.atomic():
                dossier = Dossier.objects.create(session=session, path=path, added_by=by)
        except IntegrityError as exc:
            raise Conflict(_("This path was just added to an open session by someone else.")) from exc
        audit_record(subject=session, action="dossier.add", by=by, changes={"path": path.pk})
        audit_record(subject=path, action="jury.dossier_add", by=by, note=str(session))
        _send_convocations_if_convened(session)
    return dossier


def dossier_remove(*, dossier, by) -> None:
    with transaction.atomic():
        session = _lock_session(dossier.session)
        policy.require(by, "jury_session.manage", session)
        dossier = Dossier.objects.select_related("path").get(pk=dossier.pk)
        withdrawn = dossier.path.state != PathState.READY_FOR_JURY
        if not (session.state in (SessionState.PLANNED, SessionState.CONVENED) or (session.is_open and withdrawn)):
            raise RuleViolation(_("A dossier is removed before the deliberation, unless its path left the jury."))
        Decision.objects.filter(dossier=dossier).delete()
        audit_record(subject=session, action="dossier.remove", by=by, changes={"path": dossier.path_id})
        dossier.delete()
