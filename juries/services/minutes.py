"""The minutes (procès-verbal) of a closed session: generated and sealed after close, approved
by the president and the vice-president (one per college) after each re-entered their second
factor, then sealed again with the approvals printed on it. An approved version is never
changed: a correction of a decision makes a new version, to approve again.
"""

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import Conflict, NotAllowed, RuleViolation
from juries.models import ApprovalRole, College, JuryMember, JurySession, MinutesApproval, SessionState
from juries.services._common import _lock_session, _require_state, _save

REQUIRED_ROLES = (ApprovalRole.PRESIDENT, ApprovalRole.VICE_PRESIDENT)


def _render_and_seal(session, *, approvals=()) -> bytes:
    from juries.certificates.signing.pades import seal_pdf
    from juries.pdf import render_minutes

    reason = f"Procès-verbal du jury, session {session.pk}, version {session.pv_version}"
    return seal_pdf(render_minutes(session, approvals=list(approvals)), reason=reason)


def _store(session, content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()
    # A new name each time (upload_to): an approved file is never overwritten.
    session.pv_file.save(f"pv-{session.pk}-v{session.pv_version}.pdf", ContentFile(content), save=False)
    session.pv_sha256 = digest
    session.pv_generated_at = timezone.now()
    return digest


def jury_session_generate_minutes(*, session, force: bool = False) -> JurySession:
    """Render, seal and store the minutes with their SHA-256. Idempotent: an existing file is
    kept unless ``force`` (never once approved: see ``jury_session_minutes_new_version``)."""
    with transaction.atomic():
        session = _lock_session(session)
        if session.state not in (SessionState.CLOSED, SessionState.RATIFIED):
            raise RuleViolation(_("The minutes are generated once the session is closed."))
        if session.pv_file and session.pv_sha256 and (not force or session.pv_approved_at):
            return session
        if MinutesApproval.objects.filter(session=session, version=session.pv_version).exists():
            return session  # an approval started on this file: it must not change under it
        digest = _store(session, _render_and_seal(session))
        _save(session)
        audit_record(
            subject=session,
            action="jury_session.minutes_generated",
            changes={"sha256": digest, "version": session.pv_version},
        )
    return session


def jury_session_minutes_new_version(*, session, reason: str = "") -> JurySession:
    """After a correction of a decision of a closed session: the next version of the minutes,
    to approve again. The approved version stays in storage; its hash stays in the audit."""
    with transaction.atomic():
        session = _lock_session(session)
        if session.state not in (SessionState.CLOSED, SessionState.RATIFIED) or not session.pv_file:
            return session
        previous = {"version": session.pv_version, "sha256": session.pv_sha256}
        session.pv_version += 1
        session.pv_approved_at = None
        session.pv_approved_by = None
        session.pv_approved_sha256 = ""
        digest = _store(session, _render_and_seal(session))
        _save(session)
        audit_record(
            subject=session,
            action="jury_session.minutes_new_version",
            note=reason,
            changes={"previous": previous, "version": session.pv_version, "sha256": digest},
        )
    return session


def file_sha256(field_file) -> str:
    digest = hashlib.sha256()
    with field_file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_second_factor(user, secret: str) -> str:
    """The approver proves presence again: a TOTP code (or recovery code) from their device.
    Without any device — only where two-factor authentication is not required (debug) — the
    password instead. Returns the factor used; raises a field error otherwise."""
    from django_otp import devices_for_user

    from cqp_portal.accounts.mfa import mfa_required_for

    secret = (secret or "").strip()
    devices = list(devices_for_user(user, confirmed=True))
    if devices:
        code = secret.replace(" ", "")
        allowed = [d for d in devices if d.verify_is_allowed()[0]]
        if not allowed:
            raise RuleViolation(
                _("Too many wrong codes: wait a few seconds, then try again."),
                code="second_factor_throttled",
                field="second_factor",
            )
        if code and any(d.verify_token(code) for d in allowed):
            return "totp"
        raise RuleViolation(
            _("This code is not valid. Enter the current code of your authentication app."),
            code="second_factor_invalid",
            field="second_factor",
        )
    if mfa_required_for(user):
        raise RuleViolation(
            _("Set up two-factor authentication before approving the minutes."),
            code="second_factor_missing",
            field="second_factor",
        )
    if secret and user.check_password(secret):
        return "password"
    raise RuleViolation(_("Wrong password."), code="second_factor_invalid", field="second_factor")


def _approval_role(session, user) -> tuple[JuryMember, str]:
    member = session.members.filter(user=user).first()
    if member is not None and member.is_president:
        return member, ApprovalRole.PRESIDENT
    if member is not None and member.is_vice_president:
        return member, ApprovalRole.VICE_PRESIDENT
    raise NotAllowed(_("Only the president and the vice-president of the jury approve the minutes."))


def jury_session_set_vice_president(*, session, member, by) -> JuryMember:
    """The president names the vice-president: a member of the other college (paritarisme)."""
    with transaction.atomic():
        session = _lock_session(session)
        policy.require(by, "jury_session.preside", session)
        if MinutesApproval.objects.filter(session=session, version=session.pv_version).exists():
            raise RuleViolation(_("The approval of the minutes has started: the vice-president can no longer change."))
        member = JuryMember.objects.select_for_update().get(pk=member.pk, session=session)
        president = session.members.filter(is_president=True).first()
        if (
            member.is_president
            or member.college == College.EXPERT
            or (president and member.college == president.college)
        ):
            raise RuleViolation(
                _("The vice-president is a member of the other college than the president's."),
                code="vice_president_college",
                field="member",
            )
        session.members.filter(is_vice_president=True).exclude(pk=member.pk).update(is_vice_president=False)
        member.is_vice_president = True
        member.save(update_fields=["is_vice_president"])
        audit_record(subject=session, action="jury_session.vice_president", by=by, changes={"member": member.pk})
    return member


def jury_session_approve_minutes(*, session, by, second_factor: str, sha256_seen: str | None = None) -> JurySession:
    """One approval (president or vice-president) of the current version. When both are in,
    the minutes are sealed again with the approvals printed on them, and become immutable."""
    with transaction.atomic():
        session = _lock_session(session)
        _require_state(session, SessionState.CLOSED, SessionState.RATIFIED)
        member, role = _approval_role(session, by)
        if not session.pv_file or not session.pv_sha256:
            raise RuleViolation(_("The minutes are still being generated: try again in a moment."), code="pv_pending")
        if session.pv_approved_at:
            raise RuleViolation(_("The minutes were already approved."), code="pv_approved")
        approvals = list(MinutesApproval.objects.filter(session=session, version=session.pv_version))
        if any(a.role == role for a in approvals):
            raise RuleViolation(_("You already approved this version of the minutes."), code="pv_approved")
        actual = file_sha256(session.pv_file)
        if actual != session.pv_sha256:
            raise RuleViolation(_("The stored minutes do not match their recorded SHA-256: do not approve them."))
        if sha256_seen and sha256_seen != actual:
            raise Conflict(_("The minutes changed since you opened them: reload the page and check them again."))
        factor = check_second_factor(by, second_factor)
        approval = MinutesApproval.objects.create(
            session=session, version=session.pv_version, role=role, member=member, user=by, sha256=actual, factor=factor
        )
        audit_record(
            subject=session,
            action="jury_session.minutes_approved",
            by=by,
            changes={"sha256": actual, "role": role, "version": session.pv_version, "factor": factor},
        )
        approvals.append(approval)
        if {a.role for a in approvals} >= set(REQUIRED_ROLES):
            _finalise(session, approvals)
    return session


def _finalise(session, approvals) -> None:
    """Both approvals in: the approved file's hash is kept, the approvals are printed on a new
    sealed file (the minutes as published), and this version is closed to changes."""
    approved_sha256 = session.pv_sha256
    president = next(a for a in approvals if a.role == ApprovalRole.PRESIDENT)
    session.pv_approved_at = timezone.now()
    session.pv_approved_by = president.user
    session.pv_approved_sha256 = approved_sha256
    digest = _store(session, _render_and_seal(session, approvals=approvals))
    _save(session)
    audit_record(
        subject=session,
        action="jury_session.minutes_sealed",
        changes={"approved_sha256": approved_sha256, "sealed_sha256": digest, "version": session.pv_version},
    )
