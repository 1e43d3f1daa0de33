"""Every write on funding lines: one function per use case, atomic, checked, audited."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import Conflict, RuleViolation
from financing.eligibility import funder_eligibility, scheme_eligibility
from financing.models import (
    CANCELLABLE_STATES,
    Funder,
    FunderKind,
    FundingLine,
    FundingState,
    Scheme,
    cpf_file_number_validator,
)

CENT = Decimal("0.01")
SELF_FUNDER_NAME = "Candidat (autofinancement)"


def _euros(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _check_amount(value, *, field: str, label: str) -> Decimal:
    if value is None:
        raise RuleViolation(_("%(label)s is required.") % {"label": label}, code="amount_required", field=field)
    value = _euros(value)
    if value < 0:
        raise RuleViolation(_("%(label)s cannot be negative.") % {"label": label}, code="negative_amount", field=field)
    return value


def _check_cpf_file_number(number: str) -> None:
    from django.core.exceptions import ValidationError

    try:
        cpf_file_number_validator(number)
    except ValidationError as exc:
        raise RuleViolation(exc.messages[0], code="cpf_file_number", field="cpf_file_number") from None


def self_funder() -> Funder:
    """The one funder row standing for "the candidate pays" (self-funding)."""
    funder, _created = Funder.objects.get_or_create(name=SELF_FUNDER_NAME, defaults={"kind": FunderKind.CANDIDATE})
    return funder


def employer_funder(candidate) -> Funder:
    """The candidate's employer as a funder (plan de développement, VAE), by employer name."""
    if not candidate.employer_name:
        raise RuleViolation(
            _("The candidate's employer is not known: fill in the employer on the candidate's profile first."),
            code="no_employer",
            field="funder",
        )
    funder, _created = Funder.objects.get_or_create(
        name=candidate.employer_name, defaults={"kind": FunderKind.EMPLOYER}
    )
    if funder.kind != FunderKind.EMPLOYER:
        raise RuleViolation(
            _("A funder named %(name)s already exists and is not an employer.") % {"name": funder.name},
            code="employer_name_taken",
            field="funder",
        )
    return funder


def _eligibility_or_raise(*, path, scheme: str, funder, on_date: datetime.date) -> None:
    reasons = scheme_eligibility(path, scheme, on_date)
    if reasons:
        raise RuleViolation(reasons[0], code="scheme_not_eligible", field="scheme", details=reasons)
    reasons = funder_eligibility(path, scheme, funder)
    if reasons:
        raise RuleViolation(reasons[0], code="funder_not_allowed", field="funder", details=reasons)


@transaction.atomic
def funding_line_create(
    *,
    path,
    by,
    scheme: str,
    funder: Funder,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    blocks=(),
    hours: int | None = None,
    hourly_rate: Decimal | None = None,
    fixed_amount: Decimal | None = None,
    funder_reference: str = "",
    cpf_file_number: str = "",
) -> FundingLine:
    """A draft funding line. The amount requested is the fixed amount, else hours × hourly rate."""
    policy.require(by, "funding.create", path)
    if scheme not in Scheme.values:
        raise RuleViolation(_("Unknown financing scheme."), code="unknown_scheme", field="scheme")
    if path.is_final:
        raise RuleViolation(
            _("This path is closed (%(state)s): it cannot receive new funding.") % {"state": path.get_state_display()},
            code="path_closed",
        )
    if end_date and end_date < start_date:
        raise RuleViolation(_("The end date is before the start date."), code="dates_order", field="end_date")
    _eligibility_or_raise(path=path, scheme=scheme, funder=funder, on_date=start_date)

    if hours is not None and hours < 0:
        raise RuleViolation(_("Hours cannot be negative."), code="negative_amount", field="hours")
    if fixed_amount is not None:
        requested = _check_amount(fixed_amount, field="fixed_amount", label=_("The fixed amount"))
        rate = _check_amount(hourly_rate, field="hourly_rate", label=_("The hourly rate")) if hourly_rate else None
    else:
        if not hours or hourly_rate is None:
            raise RuleViolation(
                _("Give either a fixed amount, or hours and an hourly rate."), code="amount_required", field="hours"
            )
        rate = _check_amount(hourly_rate, field="hourly_rate", label=_("The hourly rate"))
        requested = _euros(rate * hours)

    block_list = list(blocks)
    foreign = [b for b in block_list if b.version_id != path.version_id]
    if foreign:
        raise RuleViolation(
            _("Block %(code)s is not a block of this path's référentiel version.") % {"code": foreign[0].code},
            code="block_not_in_version",
            field="blocks",
        )
    if cpf_file_number:
        _check_cpf_file_number(cpf_file_number)

    line = FundingLine.objects.create(
        path=path,
        scheme=scheme,
        funder=funder,
        hours=hours,
        hourly_rate=rate,
        fixed_amount=_euros(fixed_amount) if fixed_amount is not None else None,
        amount_requested=requested,
        funder_reference=funder_reference,
        cpf_file_number=cpf_file_number,
        start_date=start_date,
        end_date=end_date,
        created_by=by,
    )
    line.blocks.set(block_list)
    audit_record(
        subject=line,
        action="funding.create",
        by=by,
        to_state=line.state,
        changes={"scheme": scheme, "funder": funder.pk, "amount_requested": str(requested)},
    )
    return line


def _locked(line) -> FundingLine:
    return (
        FundingLine.objects.select_for_update().select_related("path__candidate", "path__certification").get(pk=line.pk)
    )


def _transition(
    line, by, method: str, rule: str, *, note: str = "", changes: dict | None = None, before=None
) -> FundingLine:
    """Re-fetch under lock, check the permission, run ``before(locked)``, change the state, audit."""
    locked = _locked(line)
    policy.require(by, rule, locked)
    method_obj = getattr(locked, method)
    if not can_proceed(method_obj):
        raise Conflict(
            _("This funding line is %(state)s: it cannot be %(action)s now.")
            % {"state": locked.get_state_display(), "action": _TRANSITION_WORDS[method]},
            code="transition_not_allowed",
        )
    if before:
        before(locked)
    from_state = locked.state
    try:
        method_obj()
        locked.save()
    except (TransitionNotAllowed, ConcurrentTransition):
        raise Conflict() from None
    audit_record(
        subject=locked,
        action=f"funding.{method}",
        by=by,
        from_state=from_state,
        to_state=locked.state,
        note=note,
        changes=changes or {},
    )
    return locked


_TRANSITION_WORDS = {
    "submit": gettext_lazy("submitted"),
    "approve": gettext_lazy("approved"),
    "refuse": gettext_lazy("refused"),
    "invoice": gettext_lazy("invoiced"),
    "pay": gettext_lazy("paid"),
    "cancel": gettext_lazy("cancelled"),
}


@transaction.atomic
def funding_line_submit(*, line: FundingLine, by) -> FundingLine:
    """Send the request to the funder; eligibility is checked again on the line's start date."""

    def before(locked):
        _eligibility_or_raise(path=locked.path, scheme=locked.scheme, funder=locked.funder, on_date=locked.start_date)
        if locked.scheme == Scheme.CPF and not locked.cpf_file_number:
            raise RuleViolation(
                _("A CPF request needs its CPF file number (13 characters) from Mon Compte Formation."),
                code="cpf_file_number_required",
                field="cpf_file_number",
            )
        locked.submitted_at = timezone.now()

    return _transition(line, by, "submit", "funding.submit", before=before)


@transaction.atomic
def funding_line_approve(*, line: FundingLine, by, amount: Decimal | None = None, note: str = "") -> FundingLine:
    """The funder agrees to pay ``amount`` (the amount requested if not given, never more)."""
    changes = {}

    def before(locked):
        approved = (
            locked.amount_requested
            if amount is None
            else _check_amount(amount, field="amount_approved", label=_("The approved amount"))
        )
        if approved > locked.amount_requested:
            raise RuleViolation(
                _("The approved amount (%(approved)s €) cannot exceed the amount requested (%(requested)s €).")
                % {"approved": approved, "requested": locked.amount_requested},
                code="approved_above_requested",
                field="amount_approved",
            )
        if approved < locked.amount_requested and not note.strip():
            raise RuleViolation(
                _("Approving less than the amount requested needs a note explaining why."),
                code="note_required",
                field="note",
            )
        locked.amount_approved = approved
        locked.decided_at = timezone.now()
        locked.decided_by = by
        locked.decision_note = note
        changes["amount_approved"] = str(approved)

    return _transition(line, by, "approve", "funding.decide", note=note, changes=changes, before=before)


@transaction.atomic
def funding_line_refuse(*, line: FundingLine, by, reason: str) -> FundingLine:
    if not reason or not reason.strip():
        raise RuleViolation(_("A refusal needs a reason."), code="reason_required", field="reason")

    def before(locked):
        locked.decided_at = timezone.now()
        locked.decided_by = by
        locked.decision_note = reason

    return _transition(line, by, "refuse", "funding.decide", note=reason, before=before)


@transaction.atomic
def funding_line_invoice(
    *, line: FundingLine, by, amount: Decimal, invoice_reference: str = "", invoiced_on: datetime.date | None = None
) -> FundingLine:
    """Record the invoice received for an approved line; never more than approved."""
    changes = {}

    def before(locked):
        invoiced = _check_amount(amount, field="amount_invoiced", label=_("The invoiced amount"))
        if invoiced > locked.amount_approved:
            raise RuleViolation(
                _("The invoiced amount (%(invoiced)s €) cannot exceed the approved amount (%(approved)s €).")
                % {"invoiced": invoiced, "approved": locked.amount_approved},
                code="invoiced_above_approved",
                field="amount_invoiced",
            )
        locked.amount_invoiced = invoiced
        locked.invoice_reference = invoice_reference
        locked.invoiced_on = invoiced_on or timezone.localdate()
        changes["amount_invoiced"] = str(invoiced)

    return _transition(line, by, "invoice", "funding.invoice", changes=changes, before=before)


@transaction.atomic
def funding_line_pay(*, line: FundingLine, by, amount: Decimal, paid_on: datetime.date | None = None) -> FundingLine:
    """Record the payment; never more than invoiced (which is never more than approved)."""
    changes = {}

    def before(locked):
        paid = _check_amount(amount, field="amount_paid", label=_("The paid amount"))
        if paid > locked.amount_invoiced:
            raise RuleViolation(
                _("The paid amount (%(paid)s €) cannot exceed the invoiced amount (%(invoiced)s €).")
                % {"paid": paid, "invoiced": locked.amount_invoiced},
                code="paid_above_invoiced",
                field="amount_paid",
            )
        locked.amount_paid = paid
        locked.paid_on = paid_on or timezone.localdate()
        changes["amount_paid"] = str(paid)

    return _transition(line, by, "pay", "funding.pay", changes=changes, before=before)


@transaction.atomic
def funding_line_cancel(*, line: FundingLine, by, reason: str = "") -> FundingLine:
    def before(locked):
        if locked.state not in CANCELLABLE_STATES:  # pragma: no cover - can_proceed said so already
            raise RuleViolation(_("This funding line can no longer be cancelled."))
        if locked.state != FundingState.DRAFT and not reason.strip():
            raise RuleViolation(
                _("Cancelling a request the funder has received needs a reason."),
                code="reason_required",
                field="reason",
            )
        locked.cancelled_reason = reason

    return _transition(line, by, "cancel", "funding.cancel", note=reason, before=before)


TRANSITIONS = {
    "submit": funding_line_submit,
    "approve": funding_line_approve,
    "refuse": funding_line_refuse,
    "invoice": funding_line_invoice,
    "pay": funding_line_pay,
    "cancel": funding_line_cancel,
}
