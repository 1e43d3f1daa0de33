"""After the deliberation: closing the session (decisions become final, paths follow, the
ledger records the validated blocks), setting the award date, and the CPNE ratification where
the certification requires it. The minutes (PV) are in ``juries.services.minutes``.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from candidates.ledger import ledger_add
from candidates.models import AcquisitionSource, Path, PathState
from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation
from cqp_portal.tasks import enqueue_on_commit
from juries import selectors, signals
from juries.models import Decision, DecisionState, Dossier, JurySession, Outcome, SessionState
from juries.services._common import _lock_session, _require_state, _save, _transition, reasons_missing
from juries.services.deliberation import vote_adopted

# --- close ---------------------------------------------------------------------------------


def close_blockers(session) -> list[str]:
    """Why the session cannot be closed now; empty when it can."""
    if session.state != SessionState.DELIBERATING:
        return [_("Only a session in deliberation can be closed.")]
    members = list(session.members.all())
    problems = []
    if session.date > timezone.localdate():
        problems.append(too_early_message(session))
    problems += selectors.composition_problems(session, members=members, at_close=True)
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
            if not row.undecided:
                problems += [
                    f"{name}: {message}"
                    for _field, message in reasons_missing(
                        row.decision.outcome, row.decision.reasons, row.decision.block_decisions.all()
                    )
                ]
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
    problems += [_lost_message(decision, row) for decision, row in selectors.lost_holdings(session)]
    return problems


def too_early_message(session) -> str:
    return _("The session is dated %(date)s: it cannot be closed before that day.") % {
        "date": date_format(session.date)
    }


def _lost_message(decision, row) -> str:
    return _(
        "%(candidate)s: block %(code)s is recorded as already held, but the candidate no longer holds it on "
        "the jury date (%(date)s); it is not counted."
    ) % {
        "candidate": decision.dossier.path.candidate,
        "code": row.block.code,
        "date": date_format(decision.dossier.session.date),
    }


def jury_session_close(*, session, by) -> JurySession:
    """Decisions become final, paths move to their outcome, validated blocks enter the
    ledger, the minutes are generated after commit, and the award date is set unless the
    certification requires a CPNE ratification."""
    with transaction.atomic():
        session = _lock_session(session)
        policy.require(by, "jury_session.preside", session)
        if session.state == SessionState.DELIBERATING and session.date > timezone.localdate():
            raise RuleViolation(too_early_message(session), field="date", code="session_not_yet_held")
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


# --- minutes (PV): juries.services.minutes --------------------------------------------------


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
            raise RuleViolation(
                _("The president and the vice-president must approve the minutes before the CPNE ratifies them.")
            )
        lost = selectors.lost_holdings(session)
        if lost:
            # The award date would make these decisions count blocks the candidate no longer
            # holds on the jury date: they are corrected first (a correction judges them again).
            problems = [_lost_message(decision, row) for decision, row in lost]
            raise RuleViolation(
                _("The decisions cannot be ratified: %(problems)s Correct these decisions first.")
                % {"problems": " ".join(problems)},
                code="held_block_lost",
                details=problems,
            )
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
