"""Branches, certifiers and certifications with their versioned référentiels.

Per-certification rules (block validity, jury composition, ratification, appeals, double
evaluation) are fields here, never constants in code: branches and sources differ.
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

idcc_validator = RegexValidator(r"^\d{4}$", _("An IDCC code has exactly 4 digits (zero padded, e.g. 0044)."))
siret_validator = RegexValidator(r"^\d{14}$", _("A SIRET number has exactly 14 digits."))
rncp_number_validator = RegexValidator(r"^RNCP\d{3,6}$", _("An RNCP number looks like RNCP12345."))
rs_number_validator = RegexValidator(r"^RS\d{1,6}$", _("An RS number looks like RS1234."))


class Opco(models.Model):
    """One of the 11 opérateurs de compétences."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("OPCO")
        verbose_name_plural = _("OPCOs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    """A professional branch, identified by the IDCC of its collective agreement."""

    name = models.CharField(_("name"), max_length=200)
    idcc = models.CharField(_("IDCC"), max_length=4, unique=True, validators=[idcc_validator])
    opco = models.ForeignKey(Opco, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("OPCO"))

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (IDCC {self.idcc})"


class Commission(models.Model):
    """The CPNE / CPNEFP of one or more branches: creates, owns and awards CQPs."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    branches = models.ManyToManyField(Branch, related_name="commissions", verbose_name=_("branches"))

    class Meta:
        verbose_name = _("commission (CPNE)")
        verbose_name_plural = _("commissions (CPNE)")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrainingProvider(models.Model):
    name = models.CharField(_("name"), max_length=200)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[siret_validator])
    city = models.CharField(_("city"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("training provider")
        verbose_name_plural = _("training providers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["siret"], condition=~Q(siret=""), name="unique_provider_siret"),
        ]

    def __str__(self) -> str:
        return self.name


class CertificationKind(models.TextChoices):
    CQP = "CQP", _("CQP")
    CQPI = "CQPI", _("CQPI (interbranch)")
    EXTERNAL = "EXTERNAL", _("External certification (diploma, titre, RS)")


class AppealPolicy(models.TextChoices):
    NONE = "none", _("No appeal (the jury is sovereign)")
    REASONED = "reasoned", _("Reasoned appeal (recours motivé)")


class AcquiredCriteriaRule(models.TextChoices):
    """How a block's criteria bear on an "acquired" assessment (the référentiel de certification's rule)."""

    JUSTIFICATION = "justification", _("No rule: acquired with unmet criteria needs a written justification")
    ALL_CRITERIA = "all_criteria", _("Every criterion met")
    THRESHOLD = "threshold", _("At least a share of the criteria met")


class Certification(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=CertificationKind.choices)
    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("exact registered title"), max_length=500)
    nsf_codes = models.JSONField(_("NSF codes"), default=list, blank=True)
    branches = models.ManyToManyField(
        Branch, related_name="certifications", blank=True, verbose_name=_("owning branches")
    )
    commission = models.ForeignKey(
        Commission, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("certifier (CPNE)")
    )
    certifier_names = models.CharField(_("certifier as registered"), max_length=500, blank=True)

    # Rules: settings per certification (domain.md, "Rules the software enforces").
    block_validity_months = models.PositiveIntegerField(
        _("validity of validated blocks (months)"),
        null=True,
        blank=True,
        help_text=_("Empty: blocks are acquired for good (acquis définitivement)."),
    )
    jury_employer_seats = models.PositiveSmallIntegerField(_("employer college seats"), default=2)
    jury_employee_seats = models.PositiveSmallIntegerField(_("employee college seats"), default=2)
    jury_max_experts = models.PositiveSmallIntegerField(_("maximum experts"), default=2)
    jury_quorum = models.PositiveSmallIntegerField(_("quorum (members present)"), default=3)
    president_casting_vote = models.BooleanField(_("president has a casting vote"), default=True)
    requires_ratification = models.BooleanField(_("CPNE ratification after the jury"), default=False)
    appeal_policy = models.CharField(
        _("appeal policy"), max_length=10, choices=AppealPolicy.choices, default=AppealPolicy.NONE
    )
    appeal_deadline_days = models.PositiveSmallIntegerField(_("appeal deadline (days)"), null=True, blank=True)
    appeal_body = models.CharField(_("body hearing appeals"), max_length=200, blank=True)
    requires_double_evaluation = models.BooleanField(
        _("double evaluation (workplace tutor + external evaluator)"), default=False
    )
    trainer_may_not_evaluate = models.BooleanField(
        _("the candidate's trainer may not evaluate the same block"), default=True
    )
    # What "acquired" requires of the block's criteria (the référentiel's rule; issue 15.5).
    acquired_criteria_rule = models.CharField(
        _("criteria needed for an acquired block"),
        max_length=16,
        choices=AcquiredCriteriaRule.choices,
        default=AcquiredCriteriaRule.JUSTIFICATION,
    )
    acquired_criteria_threshold = models.PositiveSmallIntegerField(
        _("share of criteria met for an acquired block (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Only with the “share of the criteria” rule."),
    )
    issue_block_attestations = models.BooleanField(_("one attestation per validated block"), default=False)
    pro_a_eligible = models.BooleanField(_("on the branch's Pro-A list"), default=False)
    # sha256 of the register fiche last imported: an unchanged fiche is skipped cheaply.
    register_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                name="appeal_deadline_when_reasoned",
                condition=Q(appeal_policy="none") | Q(appeal_deadline_days__isnull=False),
            ),
            models.CheckConstraint(
                name="criteria_threshold_when_threshold_rule",
                condition=~Q(acquired_criteria_rule="threshold")
                | Q(acquired_criteria_threshold__gte=1, acquired_criteria_threshold__lte=100),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def registration_or_none(self):
        try:
            return self.registration
        except Registration.DoesNotExist:
            return None


class Register(models.TextChoices):
    RNCP = "RNCP", _("RNCP (répertoire national)")
    RS = "RS", _("RS (répertoire spécifique)")


class AccessRouteFlag(models.TextChoices):
    """Access routes a registration allows (SI_JURY_* of the France compétences export)."""

    INITIAL = "initial", _("Initial education")
    APPRENTICESHIP = "apprenticeship", _("Apprenticeship")
    CONTINUING = "continuing", _("Continuing education")
    PROFESSIONALISATION = "professionalisation", _("Contrat de professionnalisation")
    INDEPENDENT = "independent", _("Independent candidate")
    VAE = "vae", _("VAE")


class Registration(models.Model):
    """Registration at the RNCP or the RS. "Active on date D" is computed, never stored."""

    certification = models.OneToOneField(
        Certification, on_delete=models.CASCADE, related_name="registration", verbose_name=_("certification")
    )
    register = models.CharField(_("register"), max_length=4, choices=Register.choices)
    number = models.CharField(_("number"), max_length=12, unique=True)
    level = models.PositiveSmallIntegerField(
        _("level"), null=True, blank=True, validators=[MinValueValidator(3), MaxValueValidator(8)]
    )
    decision_date = models.DateField(_("France compétences decision date"), null=True, blank=True)
    end_date = models.DateField(_("end of registration"), null=True, blank=True)
    last_delivery_date = models.DateField(_("last delivery date"), null=True, blank=True)
    listed_active = models.BooleanField(_("listed as active in the register"), default=True)
    access_routes = models.JSONField(_("access routes allowed"), default=list, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.CheckConstraint(
                name="rncp_has_level_rs_has_none",
                condition=(Q(register="RNCP", level__gte=3, level__lte=8) | Q(register="RS", level__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def clean(self):
        from django.core.exceptions import ValidationError

        validator = rncp_number_validator if self.register == Register.RNCP else rs_number_validator
        validator(self.number)
        if self.register == Register.RNCP and self.level is None:
            raise ValidationError({"level": _("An RNCP registration has a level from 3 to 8.")})
        if self.register == Register.RS and self.level is not None:
            raise ValidationError({"level": _("An RS registration has no level.")})

    def is_active_on(self, day: datetime.date) -> bool:
        """Whether a new path may start on ``day``: listed active and not past the end date."""
        if not self.listed_active:
            return False
        if self.decision_date and day < self.decision_date:
            return False
        return self.end_date is None or day <= self.end_date

    def can_deliver_on(self, day: datetime.date) -> bool:
        """Paths started before the end date can still be awarded until the last delivery date."""
        limit = self.last_delivery_date or self.end_date
        return limit is None or day <= limit

    def allows(self, route: str) -> bool:
        return route in self.access_routes


class ReferentialState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ReferentialVersion(ConcurrentTransitionMixin, models.Model):
    """One version of a certification's référentiels. Published versions are immutable."""

    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="versions", verbose_name=_("certification")
    )
    number = models.PositiveIntegerField(_("version"))
    state = FSMField(_("state"), default=ReferentialState.DRAFT, choices=ReferentialState.choices, protected=True)
    summary = models.TextField(_("summary"), blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("based on")
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("référentiel version")
        verbose_name_plural = _("référentiel versions")
        ordering = ["certification", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["certification", "number"], name="unique_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.certification} v{self.number}"

    # Only the lifecycle fields move once a version left the draft state.
    FROZEN_FIELDS = ("certification_id", "number", "summary", "source", "based_on_id")

    def save(self, *args, **kwargs):
        previous = type(self)._base_manager.filter(pk=self.pk).first() if self.pk is not None else None
        if (
            previous is not None
            and previous.state != ReferentialState.DRAFT
            and any(getattr(previous, f) != getattr(self, f) for f in self.FROZEN_FIELDS)
        ):
            _refuse_if_frozen(previous.state)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_if_frozen(self.state)
        return super().delete(*args, **kwargs)

    @property
    def is_editable(self) -> bool:
        return self.state == ReferentialState.DRAFT

    @transition(field=state, source=ReferentialState.DRAFT, target=ReferentialState.PUBLISHED)
    def publish(self):
        """Validation of the content is done by the service before calling this."""

    @transition(field=state, source=ReferentialState.PUBLISHED, target=ReferentialState.RETIRED)
    def retire(self):
        pass


def _refuse_if_frozen(state: str | None) -> None:
    from cqp_portal.errors import RuleViolation

    if state is not None and state != ReferentialState.DRAFT:
        raise RuleViolation(
            _("A published or retired référentiel version cannot be changed: create a new version."),
            code="version_immutable",
        )


class VersionContentQuerySet(models.QuerySet):
    """Bulk ``update()``/``delete()`` refuse rows of a non-draft version (the PostgreSQL
    trigger refuses them too; this gives a clear message before the database does)."""

    version_path = "version"

    def _frozen(self):
        return self.exclude(**{f"{self.version_path}__state": ReferentialState.DRAFT})

    def update(self, **kwargs):
        if self._frozen().exists():
            _refuse_if_frozen(ReferentialState.PUBLISHED)
        return super().update(**kwargs)

    def delete(self):
        if self._frozen().exists():
            _refuse_if_frozen(ReferentialState.PUBLISHED)
        return super().delete()


class BlockContentQuerySet(VersionContentQuerySet):
    version_path = "block__version"


class VersionContentMixin:
    """Model-level guard: content of a non-draft version is never saved nor deleted."""

    def frozen_state(self) -> str | None:
        raise NotImplementedError

    def save(self, *args, **kwargs):
        _refuse_if_frozen(self.frozen_state())
        if self.pk is not None:
            # Moving a row out of a frozen version is a change to that version too.
            previous = type(self)._base_manager.filter(pk=self.pk).first()
            if previous is not None:
                _refuse_if_frozen(previous.frozen_state())
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_if_frozen(self.frozen_state())
        return super().delete(*args, **kwargs)


def _version_state(version_id) -> str | None:
    if version_id is None:
        return None
    return ReferentialVersion.objects.filter(pk=version_id).values_list("state", flat=True).first()


def _block_version_state(block_id) -> str | None:
    if block_id is None:
        return None
    return SkillBlock.objects.filter(pk=block_id).values_list("version__state", flat=True).first()


class Activity(VersionContentMixin, models.Model):
    """Référentiel d'activités: a work situation or activity."""

    version = models.ForeignKey(ReferentialVersion, on_delete=models.CASCADE, related_name="activities")
    order = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)

    objects = VersionContentQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title

    def frozen_state(self) -> str | None:
        return _version_state(self.version_id)


class SkillBlock(VersionContentMixin, models.Model):
    """Bloc de compétences: assessed and validated on its own (L6113-1 Code du travail)."""

    version = models.ForeignKey(
        ReferentialVersion, on_delete=models.CASCADE, related_name="blocks", verbose_name=_("version")
    )
    code = models.CharField(_("code"), max_length=32)
    title = models.CharField(_("title"), max_length=500)
    order = models.PositiveIntegerField(_("order"), default=0)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    description = models.TextField(_("description"), blank=True)

    objects = VersionContentQuerySet.as_manager()

    class Meta:
        verbose_name = _("skill block")
        verbose_name_plural = _("skill blocks")
        ordering = ["version", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_block_code_in_version")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def frozen_state(self) -> str | None:
        return _version_state(self.version_id)


class Competency(VersionContentMixin, models.Model):
    block = models.ForeignKey(SkillBlock, on_delete=models.CASCADE, related_name="competencies")
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.TextField(_("competency"))

    objects = BlockContentQuerySet.as_manager()

    class Meta:
        verbose_name = _("competency")
        verbose_name_plural = _("competencies")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text[:80]

    def frozen_state(self) -> str | None:
        return _block_version_state(self.block_id)


class ModalityKind(models.TextChoices):
    WRITTEN_TEST = "written_test", _("Written test")
    PRACTICAL_SITUATION = "practical_situation", _("Practical situation (mise en situation professionnelle)")
    WORK_OBSERVATION = "work_observation", _("Observation at work")
    INTERVIEW = "interview", _("Interview")
    DOSSIER = "dossier", _("Written dossier")
    OTHER = "other", _("Other")


class EvaluationModality(VersionContentMixin, models.Model):
    block = models.ForeignKey(SkillBlock, on_delete=models.CASCADE, related_name="modalities")
    kind = models.CharField(_("kind"), max_length=32, choices=ModalityKind.choices)
    description = models.TextField(_("description"), blank=True)

    objects = BlockContentQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation modality")
        verbose_name_plural = _("evaluation modalities")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.get_kind_display()

    def frozen_state(self) -> str | None:
        return _block_version_state(self.block_id)


class Criterion(VersionContentMixin, models.Model):
    block = models.ForeignKey(SkillBlock, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.TextField(_("criterion"))

    objects = BlockContentQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation criterion")
        verbose_name_plural = _("evaluation criteria")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text[:80]

    def frozen_state(self) -> str | None:
        return _block_version_state(self.block_id)


class BlockEquivalence(models.Model):
    """Correspondance / passerelle: holding ``from_block`` counts as holding ``to_block``
    (and the reverse when ``bidirectional``)."""

    from_block = models.ForeignKey(SkillBlock, on_delete=models.CASCADE, related_name="equivalences_from")
    to_block = models.ForeignKey(SkillBlock, on_delete=models.CASCADE, related_name="equivalences_to")
    bidirectional = models.BooleanField(_("both directions"), default=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("block equivalence")
        verbose_name_plural = _("block equivalences")
        constraints = [
            models.UniqueConstraint(fields=["from_block", "to_block"], name="unique_block_equivalence"),
            models.CheckConstraint(name="equivalence_not_reflexive", condition=~Q(from_block=models.F("to_block"))),
        ]

    def __str__(self) -> str:
        arrow = "↔" if self.bidirectional else "→"
        return f"{self.from_block.code} {arrow} {self.to_block.code}"


class HabilitationKind(models.TextChoices):
    PROVIDER = "provider", _("Training provider")
    EVALUATOR = "evaluator", _("Evaluator")


class Habilitation(models.Model):
    """A provider or an evaluator habilitated by the CPNE for one certification, on dates."""

    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="habilitations")
    kind = models.CharField(_("kind"), max_length=10, choices=HabilitationKind.choices)
    training_provider = models.ForeignKey(
        TrainingProvider, null=True, blank=True, on_delete=models.CASCADE, related_name="habilitations"
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="habilitations"
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("habilitation")
        verbose_name_plural = _("habilitations")
        ordering = ["certification", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                name="habilitation_names_its_holder",
                condition=(
                    Q(kind="provider", training_provider__isnull=False, evaluator__isnull=True)
                    | Q(kind="evaluator", training_provider__isnull=True, evaluator__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="habilitation_dates_in_order",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.training_provider or self.evaluator} — {self.certification}"


class ImportState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One import of a France compétences export, with the progress its page polls."""

    file = models.FileField(_("file"), upload_to="imports/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    only_cqp = models.BooleanField(_("CQP fiches only"), default=False)
    dry_run = models.BooleanField(_("dry run (nothing saved)"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=ImportState.choices, default=ImportState.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(_("fiches in the file"), default=0)
    read = models.PositiveIntegerField(_("read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    blocks = models.PositiveIntegerField(_("blocks"), default=0)
    message = models.TextField(_("message"), blank=True)
    log = models.TextField(_("log"), blank=True)

    class Meta:
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        if self.state == ImportState.DONE:
            return 100
        return int(100 * self.read / self.total) if self.total else 0


# The correspondence between versions lives in its own module; imported here so that Django
# registers it with the app's models.
from certifications.renewal_models import RegistrationReminder  # noqa: E402, F401
from certifications.version_mapping_models import BlockVersionMapping  # noqa: E402, F401
