"""Convening the jury and deliberating: the convocation, the start of the deliberation (one
proposed decision per dossier), saving a row of the deliberation grid with its optimistic
version check, the optional votes per college and whether a vote adopted the proposal.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from candidates.ledger import block_holdings, holdings_for
from candidates.models import AssessmentOutcome, BlockAssessment
from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import Conflict, RuleViolation
from cqp_portal.tasks import enqueue_on_commit
from juries import selectors
from juries.models import (
    BlockDecision,
    College,
    CollegeVote,
    Decision,
    DecisionState,
    Dossier,
    JuryMember,
    JurySession,
    SessionState,
)
from juries.services._common import (
    _lock_session,
    _recompute_outcome,
    _require_state,
    _save,
    _transition,
    require_reasons,
)


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
        dossiers = list(
            session.dossiers.exclude(decisions__is_current=True)
            .select_related("path__candidate", "path__version")
            .prefetch_related("path__path_blocks")
        )
        # Held blocks are judged on the jury date, not on the positioning date.
        holdings = holdings_for({(d.path.candidate_id, d.path.version_id) for d in dossiers}, session.date)
        for dossier in dossiers:
            path = dossier.path
            blocks, held, expired = selectors.blocks_targeted_and_held(
                path, session.date, holdings[(path.candidate_id, path.version_id)]
            )
            decision = Decision.objects.create(dossier=dossier)
            BlockDecision.objects.bulk_create(
                [_new_block_decision(decision, block, held, expired, path) for block in blocks]
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


def _reassessed_block_ids(path) -> set[int]:
    """Blocks of ``path`` with a current assessment "acquired": evidence the jury may rely on."""
    return set(
        BlockAssessment.objects.filter(
            path=path, superseded_by__isnull=True, outcome=AssessmentOutcome.ACQUIRED
        ).values_list("block_id", flat=True)
    )


def expired_block_reason(expired_on) -> str:
    return _("Block held until %(date)s: its validity ended before the jury date; it must be assessed again.") % {
        "date": date_format(expired_on)
    }


def _new_block_decision(decision, block, held: set[int], expired: dict, path) -> BlockDecision:
    """An expired block not assessed again on this path cannot be validated: it is recorded as
    not validated, with the reason the candidate will read (what to retake)."""
    if block.pk in held:
        return BlockDecision(decision=decision, block=block, held=True)
    expired_on = expired.get(block.pk)
    if expired_on is None or block.pk in _reassessed_block_ids(path):
        return BlockDecision(decision=decision, block=block, expired_on=expired_on)
    return BlockDecision(
        decision=decision,
        block=block,
        expired_on=expired_on,
        validated=False,
        reasons=expired_block_reason(expired_on),
    )


def rejudge_held_rows(rows, path, jury_date) -> dict[str, None]:
    """Rows recorded as "already held" whose ledger row no longer grants the block on the jury
    date (revoked since, or expired) become blocks the jury decides; changes them in place
    (the caller saves) and returns their codes."""
    held_rows = [row for row in rows if row.held]
    if not held_rows:
        return {}
    holdings = block_holdings(path.candidate, path.version, jury_date)
    changed = {}
    for row in held_rows:
        holding = holdings.get(row.block_id)
        if holding is not None and holding.valid:
            continue
        expired_on = holding.expired_on if holding is not None else None
        fresh = _new_block_decision(
            row.decision, row.block, set(), {row.block_id: expired_on} if expired_on else {}, path
        )
        row.held, row.expired_on, row.validated, row.reasons = False, fresh.expired_on, fresh.validated, fresh.reasons
        changed[row.block.code] = None
    return changed


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
        changes = rejudge_held_rows(rows.values(), dossier.path, session.date)
        reassessed = _reassessed_block_ids(dossier.path)
        block_reasons = block_reasons or {}
        for block_id, value in blocks.items():
            row = rows.get(int(block_id))
            if row is None or row.held:
                raise RuleViolation(_("This block is not decided by the jury for this dossier."), field="blocks")
            if value and row.expired_on and row.block_id not in reassessed:
                raise RuleViolation(
                    _(
                        "Block %(code)s was held until %(date)s and expired before the jury date; it was not "
                        "assessed again on this path, so it cannot be validated."
                    )
                    % {"code": row.block.code, "date": date_format(row.expired_on)},
                    field="blocks",
                    code="block_expired",
                )
            if row.validated != value:
                changes[row.block.code] = value
                row.validated = value
            if int(block_id) in block_reasons:
                row.reasons = (block_reasons[int(block_id)] or "").strip()
        for row in rows.values():
            row.save(update_fields=["held", "expired_on", "validated", "reasons"])
        if reasons is not None:
            decision.reasons = reasons.strip()
        if recommendations is not None:
            decision.recommendations = recommendations
        previous_outcome = decision.outcome
        decision.outcome = _recompute_outcome(decision, rows.values())
        require_reasons(decision.outcome, decision.reasons, rows.values())
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
