"""Funders, schemes and funding lines.

Transitions here change the state only; rule checks, amounts, audit rows and side effects are
in ``financing.services`` (one function per transition).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class FunderKind(models.TextChoices):
    OPCO = "opco", _("OPCO")
    FRANCE_TRAVAIL = "france_travail", _("France Travail")
    TRANSITIONS_PRO = "transitions_pro", _("Transitions Pro")
    CDC = "cdc", _("Caisse des Dépôts (CPF)")
    EMPLOYER = "employer", _("Employer")
    CANDIDATE = "candidate", _("Candidate (self-funding)")
    OTHER = "other", _("Other")


class Funder(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=FunderKind.choices)
    name = models.CharField(_("name"), max_length=200, unique=True)
    opco = models.OneToOneField(
        "certifications.Opco", null=True, blank=True, on_delete=models.PROTECT, related_name="funder"
    )
    region = models.CharField(_("region"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("funder")
        verbose_name_plural = _("funders")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Scheme(models.TextChoices):
    """Financing schemes (dispositifs), domain.md "Financing schemes"."""

    PLAN = "plan", _("Skills development plan (plan de développement des compétences)")
    PROFESSIONALISATION = "professionalisation", _("Contrat de professionnalisation")
    PRO_A = "pro_a", _("Pro-A (reconversion or promotion through work-study)")
    CPF = "cpf", _("CPF (compte personnel de formation)")
    CPF_TRANSITION = "cpf_transition", _("CPF de transition (Transitions Pro)")
    POEI = "poei", _("POEI (individual pre-hiring training)")
    POEC = "poec", _("POEC (collective pre-hiring training)")
    VAE = "vae", _("VAE funding")
    SELF = "self", _("Self-funding")


# Who may fund what (domain.md, "Financing schemes and who pays"). France VAE is an "other" funder.
SCHEME_FUNDER_KINDS: dict[str, tuple[str, ...]] = {
    Scheme.PLAN: (FunderKind.EMPLOYER, FunderKind.OPCO),
    Scheme.PROFESSIONALISATION: (FunderKind.OPCO,),
    Scheme.PRO_A: (FunderKind.OPCO,),
    Scheme.CPF: (FunderKind.CDC,),
    Scheme.CPF_TRANSITION: (FunderKind.TRANSITIONS_PRO,),
    Scheme.POEI: (FunderKind.FRANCE_TRAVAIL, FunderKind.OPCO),
    Scheme.POEC: (FunderKind.FRANCE_TRAVAIL, FunderKind.OPCO),
    Scheme.VAE: (FunderKind.CDC, FunderKind.EMPLOYER, FunderKind.OPCO, FunderKind.CANDIDATE, FunderKind.OTHER),
    Scheme.SELF: (FunderKind.CANDIDATE,),
}

# Schemes paid by the OPCO of the certification's branch, not by any OPCO.
BRANCH_OPCO_SCHEMES = (Scheme.PROFESSIONALISATION,)


class FundingState(models.TextChoices):
    # A context keeps these labels apart from same-looking words in other catalogs (a request
    # is "accordée", an amount "accordé").
    DRAFT = "draft", pgettext_lazy("funding line state", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("funding line state", "Submitted")
    APPROVED = "approved", pgettext_lazy("funding line state", "Approved")
    REFUSED = "refused", pgettext_lazy("funding line state", "Refused")
    INVOICED = "invoiced", pgettext_lazy("funding line state", "Invoiced")
    PAID = "paid", pgettext_lazy("funding line state", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("funding line state", "Cancelled")


# States in which the funder has committed money (approved amount counts as funding).
COMMITTED_STATES = (FundingState.APPROVED, FundingState.INVOICED, FundingState.PAID)
# States in which the request has reached the funder (requested amount counts).
REQUESTED_STATES = (
    FundingState.SUBMITTED,
    FundingState.APPROVED,
    FundingState.REFUSED,
    FundingState.INVOICED,
    FundingState.PAID,
)
CANCELLABLE_STATES = [FundingState.DRAFT, FundingState.SUBMITTED, FundingState.APPROVED]

# The CPF file number (numéro de dossier Mon Compte Formation) is sent again in the CDC export.
cpf_file_number_validator = RegexValidator(
    r"^[A-Za-z0-9]{13}$", _("A CPF file number has exactly 13 characters (letters and digits).")
)

money = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class CostRate(models.Model):
    """Hourly cost of training, used to price a path: a path's own rate wins over its
    certification's. Rates differ per provider and branch, so they are data, not constants."""

    certification = models.OneToOneField(
        "certifications.Certification",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cost_rate",
        verbose_name=_("certification"),
    )
    path = models.OneToOneField(
        "candidates.Path",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cost_rate",
        verbose_name=_("path"),
    )
    hourly_rate = models.DecimalField(_("hourly rate (€)"), **money)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("hourly cost rate")
        verbose_name_plural = _("hourly cost rates")
        constraints = [
            models.CheckConstraint(
                name="cost_rate_for_certification_or_path",
                condition=Q(certification__isnull=False, path__isnull=True)
                | Q(certification__isnull=True, path__isnull=False),
            ),
            models.CheckConstraint(name="cost_rate_not_negative", condition=Q(hourly_rate__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.certification or self.path}: {self.hourly_rate} €/h"


class FundingLine(ConcurrentTransitionMixin, models.Model):
    """One funder's share of one path, under one scheme."""

    path = models.ForeignKey(
        "candidates.Path", on_delete=models.PROTECT, related_name="funding_lines", verbose_name=_("path")
    )
    scheme = models.CharField(_("scheme"), max_length=24, choices=Scheme.choices)
    funder = models.ForeignKey(Funder, on_delete=models.PROTECT, related_name="funding_lines", verbose_name=_("funder"))
    blocks = models.ManyToManyField(
        "certifications.SkillBlock", blank=True, related_name="funding_lines", verbose_name=_("blocks covered")
    )
    state = FSMField(_("state"), default=FundingState.DRAFT, choices=FundingState.choices, protected=True)

    hours = models.PositiveIntegerField(_("hours"), null=True, blank=True)
    hourly_rate = models.DecimalField(_("hourly rate (€)"), null=True, blank=True, **money)
    fixed_amount = models.DecimalField(_("fixed amount (€)"), null=True, blank=True, **money)
    amount_requested = models.DecimalField(_("amount requested (€)"), **money)
    amount_approved = models.DecimalField(_("amount approved (€)"), null=True, blank=True, **money)
    amount_invoiced = models.DecimalField(_("amount invoiced (€)"), null=True, blank=True, **money)
    amount_paid = models.DecimalField(_("amount paid (€)"), null=True, blank=True, **money)

    funder_reference = models.CharField(_("funder's file number"), max_length=64, blank=True)
    cpf_file_number = models.CharField(
        _("CPF file number"), max_length=13, blank=True, validators=[cpf_file_number_validator]
    )
    invoice_reference = models.CharField(_("invoice number"), max_length=64, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    invoiced_on = models.DateField(_("invoiced on"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    cancelled_reason = models.TextField(_("reason for cancelling"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["funder", "state"]),
            models.Index(fields=["path", "state"]),
        ]
        constraints = [
            # Last line of defence behind the service checks: amounts never contradict each other.
            models.CheckConstraint(
                name="funding_amounts_not_negative",
                condition=Q(amount_requested__gte=0)
                & (Q(amount_approved__isnull=True) | Q(amount_approved__gte=0))
                & (Q(amount_invoiced__isnull=True) | Q(amount_invoiced__gte=0))
                & (Q(amount_paid__isnull=True) | Q(amount_paid__gte=0)),
            ),
            models.CheckConstraint(
                name="funding_approved_within_requested",
                condition=Q(amount_approved__isnull=True) | Q(amount_approved__lte=F("amount_requested")),
            ),
            models.CheckConstraint(
                name="funding_invoiced_within_approved",
                condition=Q(amount_invoiced__isnull=True) | Q(amount_invoiced__lte=F("amount_approved")),
            ),
            models.CheckConstraint(
                name="funding_paid_within_invoiced",
                condition=Q(amount_paid__isnull=True) | Q(amount_paid__lte=F("amount_invoiced")),
            ),
            models.CheckConstraint(
                name="funding_dates_in_order",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()} — {self.funder} ({self.amount_requested} €)"

    @property
    def is_open(self) -> bool:
        return self.state not in (FundingState.REFUSED, FundingState.PAID, FundingState.CANCELLED)

    @transition(field=state, source=FundingState.DRAFT, target=FundingState.SUBMITTED)
    def submit(self):
        pass

    @transition(field=state, source=FundingState.SUBMITTED, target=FundingState.APPROVED)
    def approve(self):
        pass

    @transition(field=state, source=FundingState.SUBMITTED, target=FundingState.REFUSED)
    def refuse(self):
        pass

    @transition(field=state, source=FundingState.APPROVED, target=FundingState.INVOICED)
    def invoice(self):
        pass

    @transition(field=state, source=FundingState.INVOICED, target=FundingState.PAID)
    def pay(self):
        pass

    @transition(field=state, source=CANCELLABLE_STATES, target=FundingState.CANCELLED)
    def cancel(self):
        pass
