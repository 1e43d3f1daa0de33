"""Candidates, their paths (state machine), positioning, assessments, evidence and the
ledger of validated blocks.

Transitions here change the state only; rule checks, audit rows and notifications are in
``candidates.services`` (one function per transition).
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from candidates.identity import identity_errors, normalise_phone


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months, clamped to the end of shorter months
    (dateutil's relativedelta: 31 December + 2 months = 28 or 29 February)."""
    return day + relativedelta(months=months)


# domain.md, VAE: the certifier decides on admissibility within 2 months of the request.
ADMISSIBILITY_MONTHS = 2


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class BirthPlaceCodeKind(models.TextChoices):
    # The CDC schema has one element for each (codeInseeNaissance / codePostalNaissance):
    # 75056 (INSEE, Paris) and 75001 (a Paris postcode) must never be confused.
    INSEE = "insee", _("INSEE commune code")
    POSTCODE = "postcode", _("Postcode")


class CandidateStatus(models.TextChoices):
    EMPLOYEE = "employee", _("Employee")
    JOB_SEEKER = "job_seeker", _("Job seeker")
    INITIAL_TRAINING = "initial_training", _("Young person in initial training")


class Candidate(models.Model):
    """A person preparing a certification, with the identity the Caisse des Dépôts needs."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="candidate",
        verbose_name=_("account"),
    )
    birth_name = models.CharField(_("birth name"), max_length=150)
    usage_name = models.CharField(_("usage name"), max_length=150, blank=True)
    first_names = models.CharField(_("first names"), max_length=200)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    birth_place_code = models.CharField(
        _("birth place code"),
        max_length=5,
        blank=True,
        help_text=_("Born in France: the commune's INSEE code or its postcode. Born abroad: leave empty."),
    )
    birth_place_code_kind = models.CharField(
        _("kind of birth place code"), max_length=8, choices=BirthPlaceCodeKind.choices, blank=True
    )
    birth_place_name = models.CharField(
        _("birth place"), max_length=150, blank=True, help_text=_("The commune (or the city abroad).")
    )
    birth_country = models.CharField(
        _("birth country"), max_length=2, default="FR", help_text=_("ISO 3166 code, two letters: FR, DE, MA...")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(
        _("phone"), max_length=30, blank=True, help_text=_("French number, or international starting with +.")
    )
    address = models.TextField(_("address"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=CandidateStatus.choices)
    employer_name = models.CharField(_("employer"), max_length=200, blank=True)
    employer_siret = models.CharField(_("employer SIRET"), max_length=14, blank=True)
    highest_degree_level = models.PositiveSmallIntegerField(
        _("highest degree level held"), null=True, blank=True, help_text=_("National level 3 to 8, if any.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["birth_name", "first_names"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.first_names} {self.usage_name or self.birth_name}".strip()

    def clean(self):
        self.birth_country = (self.birth_country or "").strip().upper()
        self.birth_place_code = (self.birth_place_code or "").strip().upper()
        errors = identity_errors(
            birth_date=self.birth_date,
            birth_country=self.birth_country,
            birth_place_code=self.birth_place_code,
            birth_place_code_kind=self.birth_place_code_kind,
            phone=self.phone,
        )
        if errors:
            raise ValidationError(errors)
        self.phone = normalise_phone(self.phone)


class AccessRoute(models.TextChoices):
    CONTINUING = "continuing", _("Continuing education")
    PROFESSIONALISATION = "professionalisation", _("Contrat de professionnalisation")
    APPRENTICESHIP = "apprenticeship", _("Contrat d'apprentissage")
    PRO_A = "pro_a", _("Pro-A")
    VAE = "vae", _("VAE")
    INDEPENDENT = "independent", _("Independent candidate")
    POE = "poe", _("POEI / POEC")
    INITIAL = "initial", _("Initial education")


class PathState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REGISTERED = "registered", _("Registered")
    ADMISSIBILITY = "admissibility", _("VAE admissibility under review")
    ADMISSIBLE = "admissible", _("VAE admissible")
    INADMISSIBLE = "inadmissible", _("VAE inadmissible")
    POSITIONING = "positioning", _("Positioning")
    IN_COURSE = "in_course", _("In course")
    IN_EVALUATION = "in_evaluation", _("In evaluation")
    READY_FOR_JURY = "ready_for_jury", _("Ready for jury")
    AWARDED = "awarded", _("Awarded")
    PARTIALLY_AWARDED = "partially_awarded", _("Partially awarded")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


FINAL_PATH_STATES = (
    PathState.INADMISSIBLE,
    PathState.AWARDED,
    PathState.PARTIALLY_AWARDED,
    PathState.REFUSED,
    PathState.WITHDRAWN,
)
WITHDRAWABLE_STATES = [s for s in PathState.values if s not in FINAL_PATH_STATES]


class Path(ConcurrentTransitionMixin, models.Model):
    """One candidate × one certification × one référentiel version."""

    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="paths", verbose_name=_("candidate")
    )
    certification = models.ForeignKey(
        "certifications.Certification", on_delete=models.PROTECT, related_name="paths", verbose_name=_("certification")
    )
    version = models.ForeignKey(
        "certifications.ReferentialVersion",
        on_delete=models.PROTECT,
        related_name="paths",
        verbose_name=_("référentiel version"),
    )
    access_route = models.CharField(_("access route"), max_length=24, choices=AccessRoute.choices)
    state = FSMField(_("state"), default=PathState.DRAFT, choices=PathState.choices, protected=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluated_paths",
        verbose_name=_("assigned evaluator"),
    )
    workplace_tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tutored_paths",
        verbose_name=_("workplace tutor"),
    )
    training_provider = models.ForeignKey(
        "certifications.TrainingProvider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="paths",
        verbose_name=_("training provider"),
    )
    vae_target_block = models.ForeignKey(
        "certifications.SkillBlock",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("VAE for a single block"),
    )
    admissibility_requested_on = models.DateField(_("admissibility requested on"), null=True, blank=True)
    admissibility_decided_on = models.DateField(_("admissibility decided on"), null=True, blank=True)
    # The certifier kept silent for 2 months: the request is deemed admissible (domain.md, VAE).
    admissibility_deemed = models.BooleanField(_("deemed admissible (silence of 2 months)"), default=False)
    # When the branch administrators were told the deadline is near: the periodic task sends
    # that reminder once, however many times it runs.
    admissibility_reminded_at = models.DateTimeField(_("admissibility reminder sent at"), null=True, blank=True)
    previous_path = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("previous path")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("path")
        verbose_name_plural = _("paths")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state"]),
            models.Index(fields=["certification", "state"]),
            # The default order of every path list (API pages of 100 read it backwards).
            models.Index(fields=["-created_at", "-id"], name="candidates_path_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} — {self.certification}"

    @property
    def is_vae(self) -> bool:
        return self.access_route == AccessRoute.VAE

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_PATH_STATES

    @property
    def admissibility_deadline(self):
        """Last day for the admissibility (recevabilité) decision: 2 calendar months after the
        request (domain.md, VAE), e.g. 15 March → 15 May, 31 December → 28/29 February."""
        if not self.admissibility_requested_on:
            return None
        return add_months(self.admissibility_requested_on, ADMISSIBILITY_MONTHS)

    @transition(field=state, source=PathState.DRAFT, target=PathState.REGISTERED)
    def register(self):
        pass

    @transition(field=state, source=PathState.REGISTERED, target=PathState.ADMISSIBILITY)
    def request_admissibility(self):
        pass

    @transition(field=state, source=PathState.ADMISSIBILITY, target=PathState.ADMISSIBLE)
    def declare_admissible(self):
        pass

    @transition(field=state, source=PathState.ADMISSIBILITY, target=PathState.INADMISSIBLE)
    def declare_inadmissible(self):
        pass

    @transition(field=state, source=[PathState.REGISTERED, PathState.ADMISSIBLE], target=PathState.POSITIONING)
    def start_positioning(self):
        pass

    @transition(field=state, source=PathState.POSITIONING, target=PathState.IN_COURSE)
    def start_course(self):
        pass

    @transition(field=state, source=[PathState.POSITIONING, PathState.IN_COURSE], target=PathState.IN_EVALUATION)
    def start_evaluation(self):
        pass

    @transition(field=state, source=PathState.IN_EVALUATION, target=PathState.READY_FOR_JURY)
    def submit_to_jury(self):
        pass

    @transition(field=state, source=PathState.READY_FOR_JURY, target=PathState.IN_EVALUATION)
    def return_to_evaluation(self):
        """The jury sends a dossier back (e.g. an assessment is missing) before deciding."""

    @transition(field=state, source=PathState.READY_FOR_JURY, target=PathState.AWARDED)
    def award(self):
        pass

    @transition(field=state, source=PathState.READY_FOR_JURY, target=PathState.PARTIALLY_AWARDED)
    def award_partially(self):
        pass

    @transition(field=state, source=PathState.READY_FOR_JURY, target=PathState.REFUSED)
    def refuse(self):
        pass

    @transition(
        field=state,
        source=[PathState.AWARDED, PathState.PARTIALLY_AWARDED, PathState.REFUSED],
        target=RETURN_VALUE(PathState.AWARDED, PathState.PARTIALLY_AWARDED, PathState.REFUSED),
    )
    def correct_outcome(self, outcome_state: str) -> str:
        """A corrected or appealed jury decision supersedes the old one: the path follows it."""
        return outcome_state

    @transition(field=state, source=WITHDRAWABLE_STATES, target=PathState.WITHDRAWN)
    def withdraw(self):
        pass


class BlockPlan(models.TextChoices):
    HELD = "held", _("Already held")
    TO_TRAIN = "to_train", _("To train")
    TO_EVALUATE = "to_evaluate", _("To evaluate directly")


class PathBlock(models.Model):
    """Positioning of one block of the path's version, and the course planned for it."""

    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="path_blocks")
    block = models.ForeignKey("certifications.SkillBlock", on_delete=models.PROTECT, related_name="+")
    plan = models.CharField(_("positioning"), max_length=16, choices=BlockPlan.choices, default=BlockPlan.TO_TRAIN)
    held_through = models.ForeignKey(
        "AcquiredBlock",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("held through"),
    )
    # Who trains the candidate on this block: when the certification forbids it, this
    # person may not assess the same block (domain.md, "Evaluators").
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trained_path_blocks",
        verbose_name=_("trainer"),
    )
    planned_hours = models.PositiveIntegerField(_("planned hours"), default=0)
    completed_hours = models.PositiveIntegerField(_("completed hours"), default=0)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("path block")
        verbose_name_plural = _("path blocks")
        constraints = [models.UniqueConstraint(fields=["path", "block"], name="unique_block_per_path")]

    def __str__(self) -> str:
        return f"{self.path_id}/{self.block_id} {self.plan}"

    @property
    def is_targeted(self) -> bool:
        return self.plan != BlockPlan.HELD


class SelfAssessmentLevel(models.TextChoices):
    MASTERED = "mastered", _("I master it")
    PARTLY = "partly", _("Partly")
    NOT_YET = "not_yet", _("Not yet")


class CompetencySelfAssessment(models.Model):
    path_block = models.ForeignKey(PathBlock, on_delete=models.CASCADE, related_name="self_assessments")
    competency = models.ForeignKey("certifications.Competency", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=10, choices=SelfAssessmentLevel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["path_block", "competency"], name="unique_self_assessment"),
        ]

    def __str__(self) -> str:
        return f"{self.competency_id}: {self.level}"


class Course(models.Model):
    """Training by a habilitated provider and/or VAE support, for the blocks still needed."""

    path = models.OneToOneField(Path, on_delete=models.CASCADE, related_name="course")
    training_provider = models.ForeignKey(
        "certifications.TrainingProvider", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    vae_support = models.BooleanField(_("VAE support"), default=False)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return f"Course of path {self.path_id}"


class AssessmentOutcome(models.TextChoices):
    ACQUIRED = "acquired", _("Acquired")
    NOT_ACQUIRED = "not_acquired", _("Not acquired")


class AssessorRole(models.TextChoices):
    EXTERNAL = "external", _("External evaluator")
    WORKPLACE_TUTOR = "workplace_tutor", _("Workplace tutor")


class BlockAssessment(models.Model):
    """A block assessment by a habilitated evaluator. Not the award: only the jury awards."""

    path = models.ForeignKey(Path, on_delete=models.PROTECT, related_name="assessments")
    block = models.ForeignKey("certifications.SkillBlock", on_delete=models.PROTECT, related_name="+")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments")
    assessor_role = models.CharField(
        _("assessor role"), max_length=20, choices=AssessorRole.choices, default=AssessorRole.EXTERNAL
    )
    modality = models.ForeignKey(
        "certifications.EvaluationModality", on_delete=models.PROTECT, related_name="+", verbose_name=_("modality")
    )
    assessed_on = models.DateField(_("assessment date"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=AssessmentOutcome.choices)
    comment = models.TextField(_("comment"), blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("block assessment")
        verbose_name_plural = _("block assessments")
        ordering = ["assessed_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="correction_has_reason",
                condition=Q(supersedes__isnull=True) | ~Q(correction_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.block_id} {self.outcome} ({self.assessed_on})"

    def save(self, *args, **kwargs):
        # An assessment is evidence for the jury: a correction is a new, superseding row.
        if self.pk is not None and not kwargs.pop("allow_update", False):
            raise TypeError("Block assessments are immutable; record a superseding assessment instead")
        super().save(*args, **kwargs)


class CriterionResult(models.Model):
    assessment = models.ForeignKey(BlockAssessment, on_delete=models.CASCADE, related_name="criterion_results")
    criterion = models.ForeignKey("certifications.Criterion", on_delete=models.PROTECT, related_name="+")
    met = models.BooleanField(_("met"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="unique_criterion_result"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {'met' if self.met else 'not met'}"


class EvidenceKind(models.TextChoices):
    VAE_DOSSIER = "vae_dossier", _("VAE dossier")
    ATTESTATION = "attestation", _("Attestation")
    WORK_SAMPLE = "work_sample", _("Work sample")
    OTHER = "other", _("Other")


def evidence_upload_to(instance, filename: str) -> str:
    # The stored name is random: the original name is personal data and may be anything.
    import uuid

    return f"evidence/{instance.path_id}/{uuid.uuid4().hex}"


class Evidence(models.Model):
    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="evidence")
    block = models.ForeignKey(
        "certifications.SkillBlock", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EvidenceKind.choices)
    # Attached with an assessment form: written in the same transaction as the assessment.
    assessment = models.ForeignKey(
        BlockAssessment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence",
        verbose_name=_("assessment"),
    )
    file = models.FileField(_("file"), upload_to=evidence_upload_to)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ExperienceStatus(models.TextChoices):
    """The capacity in which the experience was gained (VAE counts them all since the 2022 reform)."""

    EMPLOYEE = "employee", _("Employee")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    VOLUNTEER = "volunteer", _("Volunteer")
    ELECTED = "elected", _("Elected or union office")
    CAREGIVER = "caregiver", _("Family caregiver")
    INTERNSHIP = "internship", _("Work placement")
    OTHER = "other", _("Other")


class ExperienceRecord(models.Model):
    """One experience a VAE candidate puts forward for admissibility: related to the blocks
    targeted and documented (domain.md, VAE)."""

    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="experience_records")
    activity = models.CharField(_("activity or job held"), max_length=300)
    status = models.CharField(_("status"), max_length=16, choices=ExperienceStatus.choices)
    employer = models.CharField(_("employer or organisation"), max_length=200, blank=True)
    start_date = models.DateField(_("experience start"))
    end_date = models.DateField(_("experience end"), null=True, blank=True, help_text=_("Empty: still ongoing."))
    duration_hours = models.PositiveIntegerField(_("duration (hours)"))
    description = models.TextField(_("tasks carried out and competencies used"), blank=True)
    blocks = models.ManyToManyField(
        "certifications.SkillBlock", related_name="+", verbose_name=_("related blocks of competencies")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("experience record")
        verbose_name_plural = _("experience records")
        ordering = ["-start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                name="experience_ends_after_start",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
            ),
            models.CheckConstraint(name="experience_has_duration", condition=Q(duration_hours__gte=1)),
        ]

    def __str__(self) -> str:
        return self.activity


class AcquisitionSource(models.TextChoices):
    JURY_DECISION = "jury_decision", _("Jury decision")
    EQUIVALENCE = "equivalence", _("Equivalence")
    PRIOR_AWARD = "prior_award", _("Prior award")


class AcquiredBlock(models.Model):
    """The ledger: the single truth about which blocks a candidate holds, and until when."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="acquired_blocks")
    block = models.ForeignKey("certifications.SkillBlock", on_delete=models.PROTECT, related_name="acquisitions")
    source = models.CharField(_("how"), max_length=16, choices=AcquisitionSource.choices)
    acquired_on = models.DateField(_("acquired on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    path = models.ForeignKey(Path, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("acquired block")
        verbose_name_plural = _("acquired blocks")
        ordering = ["candidate", "-acquired_on"]
        indexes = [models.Index(fields=["candidate", "block"])]

    def __str__(self) -> str:
        return f"{self.candidate_id}: {self.block_id} ({self.source})"

    def is_valid_on(self, day) -> bool:
        from candidates.ledger import is_valid_on

        return is_valid_on(self, day)
