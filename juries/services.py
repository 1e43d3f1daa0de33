"""Every write and transition of the juries app: one function per use case.

Each one: lock and re-read the row, check the permission (``policy.require``) and the rules
(``RuleViolation`` with a message naming the rule), change the state, write an audit row,
queue side effects after commit.
"""

import datetime
import hashlib

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from candidates.ledger import ledger_add
from candidates.models import AcquiredBlock, AcquisitionSource, Path, PathState
from certifications.models import AppealPolicy
from cqp_portal import policy
from cqp_portal.accounts.models import Role
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import Conflict, RuleViolation
from cqp_portal.tasks import enqueue_on_commit
from juries import selectors, signals
from juries.models import (
    Appeal,
    AppealState,
    BlockDecision,
    College,
    CollegeVote,
    Decision,
    DecisionState,
    Dossier,
    JuryMember,
    JurySession,
    MemberLink,
    Outcome,
    SessionState,
)

# --- helpers ------------------------------------------------------------------------------


def _lock_session(session) -> JurySession:
    return JurySession.objects.select_for_update().get(pk=session.pk)


def _transition(obj, name: str) -> None:
    try:
        getattr(obj, name)()
    except TransitionNotAllowed as exc:
        raise Conflict() from exc


def _save(obj, **kwargs) -> None:
    try:
        obj.save(**kwargs)
    except ConcurrentTransition as exc:
        raise Conflict() from exc


def _state_label(state: str) -> str:
    return str(SessionState(state).label)


def _require_state(session, *states, message: str | None = None) -> None:
    if session.state not in states:
        raise RuleViolation(
            message
            or _("This is not possible while the session is “%(state)s”.") % {"state": _state_label(session.state)},
            code="session_state",
        )


def derive_outcome(*, mandatory: set[int], held: set[int], validated: set[int]) -> str:
    """TOTAL when every mandatory block is held or validated, PARTIAL when the jury validated
    some blocks but not all mandatory ones, REFUSED when it validated none (domain.md,
    "Jury decisions"). Optional blocks never prevent a full award."""
    if not validated:
        return Outcome.REFUSED
    if mandatory <= (held | validated):
        return Outcome.TOTAL
    return Outcome.PARTIAL


def _mandatory_block_ids(version) -> set[int]:
    return set(version.blocks.filter(mandatory=True).values_list("pk", flat=True))


def _recompute_outcome(decision, block_decisions=None) -> str:
    block_decisions = list(block_decisions if block_decisions is not None else decision.block_decisions.all())
    if any(not bd.is_decided for bd in block_decisions):
        return ""
    return derive_outcome(
        mandatory=_mandatory_block_ids(decision.dossier.path.version),
        held={bd.block_id for bd in block_decisions if bd.held},
        validated={bd.block_id for bd in block_decisions if bd.validated},
    )


# --- sessions, members, dossiers ---------------------------------------------------------


def jury_session_create(
    *, certifications, date: datetime.date, by, place: str = "", video_link: str = "", title: str = ""
) -> JurySession:
    certifications = list(certifications)
    if not certifications:
        raise RuleViolation(_("A session covers at least one certification."), field="certifications")
    if not (place.strip() or video_link.strip()):
        raise RuleViolation(_("Give the place of the session or its video link."), field="place")
    policy.require(by, "jury_session.plan", certifications)
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
        session = _lock_session(session)
        policy.require(by, "jury_session.manage", session)
        _require_state(
            session,
            SessionState.PLANNED,
            SessionState.CONVENED,
            message=_("Members are added before the deliberation starts."),
        )
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
        if session.state == SessionState.CONVENED:
            from juries import tasks

            enqueue_on_commit(tasks.send_convocations, session.pk)
    return member


def jury_member_remove(*, member, by) -> None:
    with transaction.atomic():
        session = _lock_session(member.session)
        policy.require(by, "jury_session.manage", session)
        _require_state(
            session,
            SessionState.PLANNED,
            SessionState.CONVENED,
            message=_("Members are removed before the deliberation starts."),
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
        session = _lock_session(session)
        policy.require(by, "jury_session.manage", session)
        _require_state(
            session,
            SessionState.PLANNED,
            SessionState.CONVENED,
            message=_("Dossiers are added before the deliberation starts."),
        )
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
        if session.state == SessionState.CONVENED:
            from juries import tasks

            enqueue_on_commit(tasks.send_convocations, session.pk)
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


# --- convening and deliberation ----------------------------------------------------------


def jury_session_convene(*, session, by) -> JurySession:
    with transaction.atomic():
        session = _lock_session(session)
        policy.require(by, "jury_session.manage", session)
        _require_state(session, SessionState.PLANNED)
        problems = selectors.composition_problems(session)
        if not session.dossiers.exists():
            problems.append(_("Add at least one dossier before convening the jury."))
        if problems:
            raise RuleViolation(
                _("The jury cannot be convened: %(problems)s") % {"problems": " ".join(problems)},
                code="composition",
                details=problems,
            )
        _transition(session, "convene")
        session.convened_at = timezone.now()
        _save(session)
        audit_record(
            subject=session,
            action="jury_session.convene",
            by=by,
            from_state=SessionState.PLANNED,
            to_state=session.state,
        )
        from juries import tasks

        enqueue_on_commit(tasks.send_convocations, session.pk)
    return session


def jury_session_start_deliberation(*, session, by) -> JurySession:
    with transaction.atomic():
        session = _lock_session(session)
        policy.require(by, "jury_session.record_attendance", session)
        _require_state(session, SessionState.CONVENED)
        problems = selectors.composition_problems(session)
        if problems:
            raise RuleViolation(" ".join(problems), code="composition", details=problems)
        today = timezone.localdate()
        for dossier in session.dossiers.select_related("path__candidate", "path__version").prefetch_related(
            "path__path_blocks"
        ):
            if Decision.objects.filter(dossier=dossier, is_current=True).exists():
                continue
            blocks, held = selectors.blocks_targeted_and_held(dossier.path, today)
            decision = Decision.objects.create(dossier=dossier)
            BlockDecision.objects.bulk_create(
                [BlockDecision(decision=decision, block=b, held=b.pk in held) for b in blocks]
            )
        _transition(session, "start_deliberation")
        session.deliberation_started_at = timezone.now()
        _save(session)
        audit_record(
            subject=session,
            action="jury_session.start_deliberation",
            by=by,
            from_state=SessionState.CONVENED,
            to_state=session.state,
        )
    return session


def _deciding_member(session, dossier, by) -> JuryMember | None:
    """The member ``by`` acting on ``dossier``; refuses an absent or conflicted member."""
    member = session.members.filter(user=by).first()
    if member is None:
        return None  # staff or an administrator helping: the policy already allowed them
    if not member.present:
        raise RuleViolation(_("You are marked absent from this session: you may not decide."), code="absent")
    excluded = selectors.exclusions(session, members=list(session.members.all()), dossiers=[dossier])
    reason = excluded.get(dossier.pk, {}).get(member.pk)
    if reason:
        raise RuleViolation(
            _(
                "You may not decide on %(candidate)s (%(reason)s): "
                "a jury member never decides on a candidate they are linked to."
            )
            % {"candidate": dossier.path.candidate, "reason": reason},
            code="conflict_of_interest",
        )
    return member


def _dossier_for_decision(decision) -> Dossier:
    from django.db.models import Prefetch

    from candidates.models import BlockAssessment

    return (
        Dossier.objects.select_related("path__candidate", "path__version", "session")
        .prefetch_related(
            Prefetch("path__assessments", queryset=BlockAssessment.objects.only("pk", "path_id", "evaluator_id")),
            "path__path_blocks",
        )
        .get(pk=decision.dossier_id)
    )


def decision_update(
    *,
    decision,
    by,
    expected_version: int,
    blocks: dict[int, bool | None],
    block_reasons: dict[int, str] | None = None,
    reasons: str | None = None,
    recommendations: str | None = None,
) -> Decision:
    """Save one row of the deliberation grid. ``expected_version`` is the row version the
    person read: if someone saved in between, nothing is written and Conflict is raised."""
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        dossier = _dossier_for_decision(decision)
        session = dossier.session
        policy.require(by, "jury_session.deliberate", session)
        if decision.state != DecisionState.PROPOSED or not decision.is_current:
            raise RuleViolation(
                _("A final decision is never edited: record a correction, which supersedes it."), code="decision_final"
            )
        _require_state(
            session, SessionState.DELIBERATING, message=_("Block decisions are recorded during the deliberation.")
        )
        _deciding_member(session, dossier, by)
        if decision.row_version != int(expected_version):
            who = decision.updated_by or _("another member")
            raise Conflict(
                _(
                    "%(who)s saved the decision on %(candidate)s at %(time)s while you were editing it. "
                    "Nothing of yours was saved: reload the row, check their choices and save again."
                )
                % {
                    "who": who,
                    "candidate": dossier.path.candidate,
                    "time": timezone.localtime(decision.updated_at).strftime("%H:%M:%S"),
                }
            )
        rows = {bd.block_id: bd for bd in decision.block_decisions.select_related("block")}
        block_reasons = block_reasons or {}
        changes = {}
        for block_id, value in blocks.items():
            row = rows.get(int(block_id))
            if row is None or row.held:
                raise RuleViolation(_("This block is not decided by the jury for this dossier."), field="blocks")
            if row.validated != value:
                changes[row.block.code] = value
                row.validated = value
            if int(block_id) in block_reasons:
                row.reasons = block_reasons[int(block_id)] or ""
        for row in rows.values():
            row.save(update_fields=["validated", "reasons"])
        if reasons is not None:
            decision.reasons = reasons
        if recommendations is not None:
            decision.recommendations = recommendations
        previous_outcome = decision.outcome
        decision.outcome = _recompute_outcome(decision, rows.values())
        if changes:
            # The votes were on another proposal.
            decision.votes.all().delete()
        decision.row_version += 1
        decision.updated_by = by
        _save(decision)
        audit_record(
            subject=decision,
            action="decision.update",
            by=by,
            from_state=previous_outcome,
            to_state=decision.outcome,
            changes={"blocks": changes},
        )
    return decision


def decision_record_votes(*, decision, by, votes: dict[str, tuple[int, int, int]], casting_vote: bool | None = None):
    """Optional votes per college on the proposed decision; on a tie the president's casting
    vote decides where the certification gives them one."""
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        dossier = _dossier_for_decision(decision)
        session = dossier.session
        policy.require(by, "jury_session.preside", session)
        _require_state(session, SessionState.DELIBERATING, message=_("Votes are recorded during the deliberation."))
        if decision.state != DecisionState.PROPOSED:
            raise RuleViolation(_("A final decision is never edited: record a correction, which supersedes it."))
        if not decision.outcome:
            raise RuleViolation(_("Decide every block before voting on the decision."))
        members = list(session.members.all())
        excluded = selectors.exclusions(session, members=members, dossiers=[dossier]).get(dossier.pk, {})
        total_for = total_against = 0
        for college, (in_favour, against, abstaining) in votes.items():
            if college not in College.values:
                raise RuleViolation(_("Unknown college."))
            voters = sum(1 for m in members if m.college == college and m.present and m.pk not in excluded)
            if min(in_favour, against, abstaining) < 0 or in_favour + against + abstaining > voters:
                raise RuleViolation(
                    _("The %(college)s has %(count)s member(s) present who may vote on this dossier.")
                    % {"college": College(college).label.lower(), "count": voters}
                )
            total_for += in_favour
            total_against += against
        rules = selectors.composition_rules(session)
        tie = total_for == total_against
        if tie and rules.casting_vote and casting_vote is None:
            raise RuleViolation(_("The vote is tied: the president's casting vote is needed."), field="casting_vote")
        if casting_vote is not None and not (tie and rules.casting_vote):
            raise RuleViolation(
                _("The president's casting vote only settles a tie, where the certification provides for it."),
                field="casting_vote",
            )
        decision.votes.all().delete()
        CollegeVote.objects.bulk_create(
            [
                CollegeVote(
                    decision=decision,
                    college=college,
                    in_favour=values[0],
                    against=values[1],
                    abstaining=values[2],
                    casting_vote=casting_vote if college == College.EMPLOYER else None,
                    recorded_by=by,
                )
                for college, values in votes.items()
            ]
        )
        audit_record(
            subject=decision,
            action="decision.votes",
            by=by,
            changes={"votes": {k: list(v) for k, v in votes.items()}, "casting_vote": casting_vote},
        )
    return decision


def vote_adopted(decision, votes=None) -> bool | None:
    """None when no vote was recorded; otherwise whether the proposal was adopted."""
    votes = list(votes if votes is not None else decision.votes.all())
    if not votes:
        return None
    total_for = sum(v.in_favour for v in votes)
    total_against = sum(v.against for v in votes)
    if total_for != total_against:
        return total_for > total_against
    casting = next((v.casting_vote for v in votes if v.casting_vote is not None), None)
    return bool(casting)


# --- close ---------------------------------------------------------------------------------


def close_blockers(session) -> list[str]:
    """Why the session cannot be closed now; empty when it can."""
    if session.state != SessionState.DELIBERATING:
        return [_("Only a session in deliberation can be closed.")]
    members = list(session.members.all())
    problems = selectors.composition_problems(session, members=members, at_close=True)
    rules = selectors.composition_rules(session)
    tables = selectors.deliberation_grid(session)
    if not any(t.rows for t in tables):
        problems.append(_("The session has no dossier."))
    present_ids = {m.pk for m in members if m.present}
    for table in tables:
        for row in table.rows:
            name = row.dossier.path.candidate
            if row.dossier.path.state != PathState.READY_FOR_JURY:
                problems.append(
                    _("The path of %(candidate)s is no longer ready for jury: remove the dossier.")
                    % {"candidate": name}
                )
            if row.undecided:
                problems.append(_("The dossier of %(candidate)s is undecided.") % {"candidate": name})
            elif vote_adopted(row.decision, row.decision.votes.all()) is False:
                problems.append(
                    _("The proposal on %(candidate)s was not adopted by the vote: change it and vote again.")
                    % {"candidate": name}
                )
            deciders = len(present_ids - set(row.excluded))
            if deciders < rules.quorum <= len(present_ids):
                problems.append(
                    _(
                        "Quorum not met for %(candidate)s: %(count)s members present may decide "
                        "(others are linked to the candidate)."
                    )
                    % {"candidate": name, "count": deciders}
                )
    return problems


def jury_session_close(*, session, by) -> JurySession:
    """Decisions become final, paths move to their outcome, validated blocks enter the
    ledger, the minutes are generated after commit, and the award date is set unless the
    certification requires a CPNE ratification."""
    with transaction.atomic():
        session = _lock_session(session)
        policy.require(by, "jury_session.preside", session)
        problems = close_blockers(session)
        if problems:
            raise RuleViolation(
                _("The session cannot be closed: %(problems)s") % {"problems": " ".join(problems)},
                code="close_refused",
                details=problems,
            )
        today = timezone.localdate()
        decisions = (
            Decision.objects.select_for_update(of=("self",))
            .filter(dossier__session=session, is_current=True)
            .select_related("dossier__path__candidate", "dossier__path__version__certification")
        )
        transitions = {Outcome.TOTAL: "award", Outcome.PARTIAL: "award_partially", Outcome.REFUSED: "refuse"}
        for decision in decisions:
            _transition(decision, "finalise")
            decision.decided_by = by
            decision.decided_at = timezone.now()
            _save(decision)
            audit_record(
                subject=decision,
                action="decision.finalise",
                by=by,
                from_state=DecisionState.PROPOSED,
                to_state=DecisionState.FINAL,
                note=decision.outcome,
            )
            path = Path.objects.select_for_update().get(pk=decision.dossier.path_id)
            from_state = path.state
            _transition(path, transitions[decision.outcome])
            _save(path)
            audit_record(
                subject=path,
                action=f"path.{transitions[decision.outcome]}",
                by=by,
                from_state=from_state,
                to_state=path.state,
                note=_("Jury session of %(date)s") % {"date": date_format(session.date)},
            )
            for row in decision.block_decisions.filter(validated=True).select_related("block__version__certification"):
                ledger_add(
                    candidate=path.candidate,
                    block=row.block,
                    source=AcquisitionSource.JURY_DECISION,
                    acquired_on=today,
                    path=path,
                    reference=f"jury-decision:{decision.pk}",
                    by=by,
                )
        Dossier.objects.filter(session=session).update(is_open=False)
        _transition(session, "close")
        session.closed_at = timezone.now()
        session.closed_by = by
        if not selectors.composition_rules(session).requires_ratification:
            session.award_date = today
        _save(session)
        audit_record(
            subject=session,
            action="jury_session.close",
            by=by,
            from_state=SessionState.DELIBERATING,
            to_state=session.state,
            changes={"award_date": session.award_date.isoformat() if session.award_date else None},
        )
        from juries import tasks

        enqueue_on_commit(tasks.generate_minutes, session.pk)
        if session.award_date:
            award_date_set(session=session)
    return session


def award_date_set(*, session) -> None:
    """Hook: the award date of ``session`` was just set (at close, or at ratification).

    Runs inside the transaction that set it. Certificates (issue 6) extend this: they are
    issued only once the award date is set. Receivers of ``juries.signals.award_date_set``
    run here too, so what they write commits with the award.
    """
    signals.award_date_set.send(sender=JurySession, session=session)
    from juries import tasks

    enqueue_on_commit(tasks.notify_decisions, session.pk)


# --- minutes (PV) ---------------------------------------------------------------------------


def jury_session_generate_minutes(*, session, force: bool = False) -> JurySession:
    """Render the minutes to PDF and store them with their SHA-256. Idempotent: an existing
    file is kept unless ``force`` (never once approved)."""
    from juries.pdf import render_minutes

    with transaction.atomic():
        session = _lock_session(session)
        if session.state not in (SessionState.CLOSED, SessionState.RATIFIED):
            raise RuleViolation(_("The minutes are generated once the session is closed."))
        if session.pv_file and session.pv_sha256 and (not force or session.pv_approved_at):
            return session
        content = render_minutes(session)
        digest = hashlib.sha256(content).hexdigest()
        session.pv_file.save(f"pv-{session.pk}.pdf", ContentFile(content), save=False)
        session.pv_sha256 = digest
        session.pv_generated_at = timezone.now()
        _save(session)
        audit_record(subject=session, action="jury_session.minutes_generated", changes={"sha256": digest})
    return session


def _file_sha256(field_file) -> str:
    digest = hashlib.sha256()
    with field_file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def jury_session_approve_minutes(*, session, by, sha256_seen: str | None = None) -> JurySession:
    """The president approves the minutes in the portal: who, when and which file (SHA-256)."""
    with transaction.atomic():
        session = _lock_session(session)
        policy.require(by, "jury_session.preside", session)
        _require_state(session, SessionState.CLOSED, SessionState.RATIFIED)
        if not session.pv_file or not session.pv_sha256:
            raise RuleViolation(_("The minutes are still being generated: try again in a moment."), code="pv_pending")
        if session.pv_approved_at:
            raise RuleViolation(_("The minutes were already approved."), code="pv_approved")
        actual = _file_sha256(session.pv_file)
        if actual != session.pv_sha256:
            raise RuleViolation(_("The stored minutes do not match their recorded SHA-256: do not approve them."))
        if sha256_seen and sha256_seen != actual:
            raise Conflict(_("The minutes changed since you opened them: reload the page and check them again."))
        session.pv_approved_by = by
        session.pv_approved_at = timezone.now()
        session.pv_approved_sha256 = actual
        _save(session)
        audit_record(subject=session, action="jury_session.minutes_approved", by=by, changes={"sha256": actual})
    return session


# --- ratification ----------------------------------------------------------------------------


def jury_session_ratify(*, session, by) -> JurySession:
    with transaction.atomic():
        session = _lock_session(session)
        policy.require(by, "jury_session.ratify", session)
        if not selectors.composition_rules(session).requires_ratification:
            raise RuleViolation(
                _("No certification of this session requires a CPNE ratification: the close date is the award date.")
            )
        _require_state(session, SessionState.CLOSED, message=_("Only a closed session can be ratified."))
        if not session.pv_approved_at:
            raise RuleViolation(_("The president must approve the minutes before the CPNE ratifies them."))
        _transition(session, "ratify")
        session.ratified_at = timezone.now()
        session.ratified_by = by
        session.award_date = timezone.localdate()
        _save(session)
        audit_record(
            subject=session,
            action="jury_session.ratify",
            by=by,
            from_state=SessionState.CLOSED,
            to_state=session.state,
            changes={"award_date": session.award_date.isoformat()},
        )
        award_date_set(session=session)
    return session


# --- corrections and appeals -------------------------------------------------------------------


def _supersede(
    *,
    decision,
    by,
    reason: str,
    blocks: dict[int, bool] | None,
    reasons: str | None,
    recommendations: str | None,
    action: str,
) -> Decision:
    """A new final decision replacing ``decision`` (locked by the caller); the ledger follows."""
    dossier = decision.dossier
    path = dossier.path
    old_rows = list(decision.block_decisions.select_related("block__version__certification"))
    blocks = {int(k): v for k, v in (blocks or {}).items()}
    decided = {bd.block_id for bd in old_rows if not bd.held}
    unknown = set(blocks) - decided
    if unknown:
        raise RuleViolation(_("This block is not decided by the jury for this dossier."), field="blocks")
    if any(v is None for v in blocks.values()):
        raise RuleViolation(_("A corrected decision decides every block."), field="blocks")
    decision.is_current = False
    _save(decision, update_fields=["is_current"])
    new = Decision.objects.create(
        dossier=dossier,
        supersedes=decision,
        correction_reason=reason,
        reasons=decision.reasons if reasons is None else reasons,
        recommendations=decision.recommendations if recommendations is None else recommendations,
        decided_by=by,
        decided_at=timezone.now(),
        updated_by=by,
    )
    new_rows = [
        BlockDecision(
            decision=new,
            block=bd.block,
            held=bd.held,
            validated=None if bd.held else blocks.get(bd.block_id, bd.validated),
            reasons=bd.reasons,
        )
        for bd in old_rows
    ]
    BlockDecision.objects.bulk_create(new_rows)
    new.outcome = _recompute_outcome(new, new_rows)
    _transition(new, "finalise")
    _save(new)
    # The ledger follows the decision in force.
    session = dossier.session
    acquired_on = session.award_date or timezone.localdate()
    old_validated = {bd.block_id for bd in old_rows if bd.validated}
    new_validated = {bd.block_id: bd.block for bd in new_rows if bd.validated}
    for block_id, block in new_validated.items():
        if block_id not in old_validated:
            ledger_add(
                candidate=path.candidate,
                block=block,
                source=AcquisitionSource.JURY_DECISION,
                acquired_on=acquired_on,
                path=path,
                reference=f"jury-decision:{new.pk}",
                by=by,
            )
    for block_id in old_validated - set(new_validated):
        for row in AcquiredBlock.objects.filter(
            candidate=path.candidate, block_id=block_id, path=path, revoked_at__isnull=True
        ):
            row.revoked_at = timezone.now()
            row.save(update_fields=["revoked_at"])
            audit_record(subject=row, action="ledger.revoke", by=by, note=reason)
    audit_record(
        subject=new,
        action=action,
        by=by,
        from_state=decision.outcome,
        to_state=new.outcome,
        note=reason,
        changes={"supersedes": decision.pk},
    )
    audit_record(subject=decision, action="decision.superseded", by=by, note=reason, changes={"by_decision": new.pk})
    _path_follows_decision(path=path, outcome=new.outcome, by=by, reason=reason)
    signals.decision_superseded.send(sender=Decision, old=decision, new=new)
    return new


PATH_STATE_FOR_OUTCOME = {
    Outcome.TOTAL: PathState.AWARDED,
    Outcome.PARTIAL: PathState.PARTIALLY_AWARDED,
    Outcome.REFUSED: PathState.REFUSED,
}


def _path_follows_decision(*, path, outcome: str, by, reason: str) -> None:
    path = Path.objects.select_for_update().get(pk=path.pk)
    target = PATH_STATE_FOR_OUTCOME[outcome]
    if path.state == target:
        return
    from_state = path.state
    path.correct_outcome(target)
    _save(path)
    audit_record(
        subject=path, action="path.correct_outcome", by=by, from_state=from_state, to_state=target, note=reason
    )


def _lock_final_decision(decision) -> Decision:
    decision = (
        Decision.objects.select_for_update(of=("self",))
        .select_related("dossier__session", "dossier__path__candidate", "dossier__path__certification")
        .get(pk=decision.pk)
    )
    if decision.state != DecisionState.FINAL or not decision.is_current:
        raise RuleViolation(
            _("Only the decision in force can be corrected or appealed; this one was superseded or is not final."),
            code="decision_not_current",
        )
    return decision


def decision_correct(
    *,
    decision,
    by,
    reason: str,
    blocks: dict[int, bool] | None = None,
    reasons: str | None = None,
    recommendations: str | None = None,
) -> Decision:
    """A final decision is never edited: the correction is a new, reasoned decision."""
    if not (reason or "").strip():
        raise RuleViolation(_("A correction needs a reason."), field="reason")
    with transaction.atomic():
        decision = _lock_final_decision(decision)
        policy.require(by, "jury_decision.correct", decision)
        return _supersede(
            decision=decision,
            by=by,
            reason=reason.strip(),
            blocks=blocks,
            reasons=reasons,
            recommendations=recommendations,
            action="decision.correct",
        )


def appeal_deadline(decision) -> datetime.date | None:
    certification = decision.dossier.path.certification
    award_date = decision.dossier.session.award_date
    if certification.appeal_policy != AppealPolicy.REASONED or award_date is None:
        return None
    return award_date + datetime.timedelta(days=certification.appeal_deadline_days or 0)


def appeal_file(*, decision, by, reason: str) -> Appeal:
    if not (reason or "").strip():
        raise RuleViolation(_("A reasoned appeal states its reasons."), field="reason")
    with transaction.atomic():
        decision = _lock_final_decision(decision)
        policy.require(by, "jury_appeal.file", decision)
        certification = decision.dossier.path.certification
        if certification.appeal_policy != AppealPolicy.REASONED:
            raise RuleViolation(
                _("The jury of %(certification)s is sovereign: its decisions cannot be appealed.")
                % {"certification": certification},
                code="no_appeal",
            )
        award_date = decision.dossier.session.award_date
        if award_date is None:
            raise RuleViolation(
                _("The decision awaits the CPNE ratification: an appeal can be filed once the award date is set."),
                code="appeal_too_early",
            )
        deadline = appeal_deadline(decision)
        if timezone.localdate() > deadline:
            raise RuleViolation(
                _(
                    "The appeal deadline has passed: appeals are filed within %(days)s days of the award date "
                    "(%(award)s), that is by %(deadline)s."
                )
                % {
                    "days": certification.appeal_deadline_days,
                    "award": date_format(award_date),
                    "deadline": date_format(deadline),
                },
                code="appeal_deadline_passed",
            )
        if decision.appeals.filter(state=AppealState.FILED).exists():
            raise RuleViolation(_("An appeal against this decision is already pending."), code="appeal_pending")
        if Appeal.objects.filter(new_decision=decision).exists() or decision.appeals.exists():
            raise RuleViolation(_("This decision was already appealed; the answer to the appeal is final."))
        appeal = Appeal.objects.create(decision=decision, filed_by=by, reason=reason.strip())
        audit_record(subject=appeal, action="appeal.file", by=by, to_state=appeal.state, note=reason.strip())
        from juries import tasks

        enqueue_on_commit(tasks.notify_appeal, appeal.pk)
    return appeal


def appeal_decide(
    *,
    appeal,
    by,
    upheld: bool,
    note: str,
    blocks: dict[int, bool] | None = None,
    reasons: str | None = None,
    recommendations: str | None = None,
) -> Appeal:
    """The appeal body decides; an upheld appeal produces a new decision superseding the old."""
    if not (note or "").strip():
        raise RuleViolation(_("The answer to an appeal is reasoned."), field="note")
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        policy.require(by, "jury_appeal.decide", appeal)
        if appeal.state != AppealState.FILED:
            raise RuleViolation(_("This appeal was already decided."), code="appeal_decided")
        from_state = appeal.state
        if upheld:
            decision = _lock_final_decision(appeal.decision)
            appeal.new_decision = _supersede(
                decision=decision,
                by=by,
                reason=_("Appeal upheld: %(note)s") % {"note": note.strip()},
                blocks=blocks,
                reasons=reasons,
                recommendations=recommendations,
                action="decision.appeal_upheld",
            )
            _transition(appeal, "uphold")
        else:
            _transition(appeal, "reject")
        appeal.decided_by = by
        appeal.decided_at = timezone.now()
        appeal.decision_note = note.strip()
        _save(appeal)
        audit_record(
            subject=appeal, action="appeal.decide", by=by, from_state=from_state, to_state=appeal.state, note=note
        )
        from juries import tasks

        enqueue_on_commit(tasks.notify_appeal, appeal.pk)
    return appeal


# --- deadlines ---------------------------------------------------------------------------------

EXPIRY_HORIZON_DAYS = 90


def flag_expiring_blocks(*, today: datetime.date | None = None, horizon_days: int = EXPIRY_HORIZON_DAYS) -> int:
    """Flag validated blocks whose validity ends within ``horizon_days`` and queue one notice
    per entry. Idempotent: an entry already flagged is never notified again. Blocks of a
    certification already fully awarded no longer matter and are skipped."""
    from juries.models import ExpiryNotice

    today = today or timezone.localdate()
    limit = today + datetime.timedelta(days=horizon_days)
    entries = (
        AcquiredBlock.objects.filter(
            revoked_at__isnull=True, valid_until__gte=today, valid_until__lte=limit, expiry_notice__isnull=True
        )
        .exclude(path__state=PathState.AWARDED)
        .order_by("pk")
    )
    flagged = []
    with transaction.atomic():
        for entry in entries.select_for_update(skip_locked=True, of=("self",)):
            _notice, created = ExpiryNotice.objects.get_or_create(
                acquired_block=entry, defaults={"valid_until": entry.valid_until}
            )
            if created:
                audit_record(subject=entry, action="ledger.expiry_flagged", note=entry.valid_until.isoformat())
                flagged.append(entry.pk)
        if flagged:
            from juries import tasks

            enqueue_on_commit(tasks.notify_expiring_blocks, flagged)
    return len(flagged)
