"""Changing a final decision: a correction or an upheld appeal never edits it but supersedes it
with a new, reasoned final decision that the ledger and the path follow; filing an appeal
within its deadline and deciding it.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from candidates.ledger import ledger_add
from candidates.models import AcquiredBlock, AcquisitionSource, Path, PathState
from certifications.models import AppealPolicy
from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation
from cqp_portal.tasks import enqueue_on_commit
from juries import signals
from juries.models import Appeal, AppealState, BlockDecision, Decision, DecisionState, Outcome
from juries.services._common import _recompute_outcome, _save, _transition, require_reasons
from juries.services.deliberation import _reassessed_block_ids, rejudge_held_rows


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
    session = dossier.session
    old_rows = list(decision.block_decisions.select_related("block__version__certification"))
    # Held blocks are judged again on the jury date: one the candidate no longer holds (its
    # ledger row was revoked) is decided by this correction, "not validated" unless it says so.
    rejudge_held_rows(old_rows, path, session.date)
    blocks = {int(k): v for k, v in (blocks or {}).items()}
    decided = {bd.block_id for bd in old_rows if not bd.held}
    unknown = set(blocks) - decided
    if unknown:
        raise RuleViolation(_("This block is not decided by the jury for this dossier."), field="blocks")
    if any(v is None for v in blocks.values()):
        raise RuleViolation(_("A corrected decision decides every block."), field="blocks")
    reassessed = _reassessed_block_ids(path)
    expired = [
        bd.block.code for bd in old_rows if bd.expired_on and blocks.get(bd.block_id) and bd.block_id not in reassessed
    ]
    if expired:
        raise RuleViolation(
            _("Blocks %(codes)s expired before the jury date and were not assessed again: they cannot be validated.")
            % {"codes": ", ".join(expired)},
            field="blocks",
            code="block_expired",
        )
    # The new decision exists before the old one stops being current: the database lets a
    # final decision change only that way, once, towards the decision that supersedes it.
    new = Decision.objects.create(
        dossier=dossier,
        supersedes=decision,
        is_current=False,
        correction_reason=reason,
        reasons=decision.reasons if reasons is None else reasons,
        recommendations=decision.recommendations if recommendations is None else recommendations,
        decided_by=by,
        decided_at=timezone.now(),
        updated_by=by,
    )
    decision.is_current = False
    _save(decision, update_fields=["is_current"])
    new_rows = []
    for bd in old_rows:
        # A lost held block left undecided by the correction is "not validated" (bool(None)).
        validated = None if bd.held else blocks.get(bd.block_id, bool(bd.validated))
        new_rows.append(
            BlockDecision(
                decision=new,
                block=bd.block,
                held=bd.held,
                expired_on=bd.expired_on,
                validated=validated,
                # A block the correction leaves "not validated" without a reason takes its reason.
                reasons=bd.reasons or (reason if validated is False else ""),
            )
        )
    BlockDecision.objects.bulk_create(new_rows)
    new.outcome = _recompute_outcome(new, new_rows)
    if new.outcome == Outcome.REFUSED and not new.reasons.strip():
        new.reasons = reason
    require_reasons(new.outcome, new.reasons, new_rows)
    new.is_current = True
    _transition(new, "finalise")
    _save(new)
    # The ledger follows the decision in force.
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
    # The minutes must tell the decision in force: a new version, to approve again.
    from juries import tasks

    enqueue_on_commit(tasks.minutes_new_version, session.pk, reason)
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
