"""Certificates (parchemins), attestations, their numbering and the CDC accrochage exports.

A certificate keeps a snapshot of what it shows (holder identity, title, registration):
the register and the candidate's record may change or be anonymised later, the document
and the public verification page must not. Transitions change the state only; numbering,
rendering, audit rows and side effects are in ``juries.certificates.services``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class CertificateKind(models.TextChoices):
    CERTIFICATE = "certificate", _("Certificate")
    PARTIAL_ATTESTATION = "partial_attestation", _("Partial award attestation")
    BLOCK_ATTESTATION = "block_attestation", _("Block attestation")


class CertificateState(models.TextChoices):
    PENDING = "pending", _("Being generated")
    ISSUED = "issued", _("Issued")
    REVOKED = "revoked", _("Revoked")


class CertificateCounter(models.Model):
    """The last number given per certification and year. Numbers are taken under a row lock
    in the issuing transaction: a rollback gives the number back, so there is no gap (a
    sequence would leave gaps) and no number is ever given twice."""

    certification = models.ForeignKey(
        "certifications.Certification", on_delete=models.PROTECT, related_name="certificate_counters"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("certificate counter")
        verbose_name_plural = _("certificate counters")
        constraints = [models.UniqueConstraint(fields=["certification", "year"], name="unique_counter_per_year")]

    def __str__(self) -> str:
        return f"{self.certification_id}/{self.year}: {self.last}"


def pdf_upload_to(instance, filename: str) -> str:
    return f"certificates/{instance.year}/{instance.number}.pdf"


class CdcStatus(models.TextChoices):
    """Where an award stands with the Caisse des Dépôts (set by the export and the CDC's report)."""

    NOT_SENT = "not_sent", _("Not sent")
    SENT = "sent", _("Sent, no report yet")
    ACCEPTED = "accepted", _("Accepted by the CDC")
    REJECTED = "rejected", _("Rejected by the CDC")
    TO_REDEPOSIT = "to_redeposit", _("To deposit again")


class Certificate(ConcurrentTransitionMixin, models.Model):
    kind = models.CharField(_("kind"), max_length=24, choices=CertificateKind.choices)
    state = FSMField(_("state"), default=CertificateState.PENDING, choices=CertificateState.choices, protected=True)
    path = models.ForeignKey(
        "candidates.Path", on_delete=models.PROTECT, related_name="certificates", verbose_name=_("path")
    )
    certification = models.ForeignKey(
        "certifications.Certification",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("certification"),
    )
    decision = models.ForeignKey(
        "juries.Decision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("jury decision"),
    )
    # Block attestations name their block; the others list the validated blocks.
    block = models.ForeignKey(
        "certifications.SkillBlock",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("block"),
    )
    blocks = models.ManyToManyField(
        "certifications.SkillBlock", blank=True, related_name="+", verbose_name=_("validated blocks")
    )

    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence in the year"))
    number = models.CharField(_("number"), max_length=64, unique=True)
    verification_code = models.CharField(_("verification code"), max_length=64, unique=True)
    # Same value for every document of one award (kept on re-issue): the CDC's idTechnique.
    award_ref = models.UUIDField(_("award reference"), default=uuid.uuid4, db_index=True)

    # Holder identity as awarded (domain.md "What a certificate must show"; CDC identity).
    holder_birth_name = models.CharField(_("birth name"), max_length=150)
    holder_usage_name = models.CharField(_("usage name"), max_length=150, blank=True)
    holder_first_names = models.CharField(_("first names"), max_length=200)
    holder_sex = models.CharField(_("sex"), max_length=1, blank=True)
    holder_birth_date = models.DateField(_("birth date"), null=True, blank=True)
    holder_birth_place_code = models.CharField(_("birth place code"), max_length=5, blank=True)
    # "insee" or "postcode" (candidates.models.BirthPlaceCodeKind); "" on older snapshots.
    holder_birth_place_code_kind = models.CharField(_("kind of birth place code"), max_length=8, blank=True)
    holder_birth_place_name = models.CharField(_("birth place"), max_length=150, blank=True)
    holder_birth_country = models.CharField(_("birth country"), max_length=2, blank=True)

    # The certification as registered on the award date.
    certification_title = models.CharField(_("exact registered title"), max_length=500)
    certification_kind = models.CharField(_("certification kind"), max_length=10)
    register = models.CharField(_("register"), max_length=4, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=12, blank=True)
    registration_level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    registration_decision_date = models.DateField(_("France compétences decision date"), null=True, blank=True)
    nsf_codes = models.JSONField(_("NSF codes"), default=list, blank=True)
    certifier_name = models.CharField(_("certifier"), max_length=500)
    branch_names = models.JSONField(_("branches"), default=list, blank=True)
    signatory_name = models.CharField(_("signed by"), max_length=200, blank=True)
    signatory_title = models.CharField(_("signatory's title"), max_length=200, blank=True)

    award_date = models.DateField(_("award date"))
    award_place = models.CharField(_("place of award"), max_length=300)

    pdf = models.FileField(_("PDF"), upload_to=pdf_upload_to, blank=True, max_length=200)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.TextField(_("reason for revocation"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )

    # Accrochage: the export sets "sent", the CDC's processing report "accepted"/"rejected".
    # db_default: rows written by bulk SQL (volume seeding) get the same value.
    cdc_status = models.CharField(
        _("CDC status"), max_length=16, choices=CdcStatus.choices, default=CdcStatus.NOT_SENT, db_default="not_sent"
    )
    cdc_message = models.TextField(_("CDC message"), blank=True, default="", db_default="")

    # Batch bookkeeping: the sweeper and the progress bar read these.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("rendering attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-award_date", "-year", "-sequence"]
        indexes = [
            models.Index(fields=["state", "queued_at"]),
            models.Index(fields=["certification", "state"]),
            models.Index(fields=["cdc_status", "award_date"], name="certificate_cdc_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["certification", "year", "sequence"], name="unique_certificate_sequence"),
            # One live document per decision, kind and block: issuing twice creates nothing.
            models.UniqueConstraint(
                fields=["decision", "kind", "block"],
                condition=~Q(state="revoked"),
                nulls_distinct=False,
                name="one_live_certificate_per_decision_kind_block",
            ),
            models.CheckConstraint(
                name="block_attestation_names_its_block",
                condition=Q(kind="block_attestation", block__isnull=False)
                | (~Q(kind="block_attestation") & Q(block__isnull=True)),
            ),
            # A pending document may be revoked before its PDF exists (decision corrected meanwhile).
            models.CheckConstraint(
                name="issued_certificate_has_its_file", condition=~Q(state="issued") | ~Q(sha256="")
            ),
            models.CheckConstraint(
                name="revoked_certificate_has_date_and_reason",
                condition=~Q(state="revoked") | (Q(revoked_at__isnull=False) & ~Q(revocation_reason="")),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def holder_name(self) -> str:
        return f"{self.holder_first_names} {self.holder_usage_name or self.holder_birth_name}".strip()

    @property
    def verification_path(self) -> str:
        return f"/verify/{self.verification_code}/"

    @property
    def verification_url(self) -> str:
        return settings.SITE_URL + self.verification_path

    @property
    def is_valid(self) -> bool:
        return self.state == CertificateState.ISSUED

    @transition(field=state, source=CertificateState.PENDING, target=CertificateState.ISSUED)
    def issue(self):
        pass

    @transition(
        field=state, source=[CertificateState.PENDING, CertificateState.ISSUED], target=CertificateState.REVOKED
    )
    def revoke(self):
        pass

    def delete(self, *args, **kwargs):
        # Numbers are never reused and a revoked certificate stays verifiable (domain.md "Certificates").
        raise TypeError("Certificates are never deleted; revoke them instead")


class CdcCertifier(models.Model):
    """The certifier's account at the Caisse des Dépôts: one accrochage flux per certifier."""

    commission = models.OneToOneField(
        "certifications.Commission",
        on_delete=models.PROTECT,
        related_name="cdc_account",
        verbose_name=_("certifier (CPNE)"),
    )
    id_client = models.CharField(_("CDC client id"), max_length=8, unique=True)
    id_contract = models.CharField(_("CDC contract id"), max_length=20)

    class Meta:
        verbose_name = _("CDC certifier account")
        verbose_name_plural = _("CDC certifier accounts")

    def __str__(self) -> str:
        return f"{self.commission} ({self.id_client})"


def cdc_upload_to(instance, filename: str) -> str:
    return f"cdc/{instance.id_flux}.xml"


class CdcExport(models.Model):
    """One accrochage flux written (valid against the CDC schema), with what it carried."""

    certifier = models.ForeignKey(CdcCertifier, on_delete=models.PROTECT, related_name="exports")
    id_flux = models.CharField(_("flux id"), max_length=50, unique=True)
    certificates = models.ManyToManyField(Certificate, related_name="cdc_exports", verbose_name=_("awards"))
    file = models.FileField(_("file"), upload_to=cdc_upload_to, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("CDC export")
        verbose_name_plural = _("CDC exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.id_flux


class CdcExportJobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CdcExportJob(models.Model):
    """One export asked from the CDC board, run by a Celery task: its progress and summary."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("asked by")
    )
    certification_code = models.CharField(_("certification"), max_length=100, blank=True)
    since = models.DateField(_("awarded since"), null=True, blank=True)
    state = FSMField(_("state"), default=CdcExportJobState.QUEUED, choices=CdcExportJobState.choices)
    total = models.PositiveIntegerField(_("awards examined"), default=0)
    done = models.PositiveIntegerField(_("awards processed"), default=0)
    # {"files": [{"export_id", "id_flux", "certifier", "awards"}], "exported": n,
    #  "excluded": [{"number", "holder", "problems": [...]}]}
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("CDC export job")
        verbose_name_plural = _("CDC export jobs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"CDC export job {self.pk} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (CdcExportJobState.DONE, CdcExportJobState.FAILED)

    # From RUNNING: a run whose worker died is started again (services._job_may_start).
    @transition(
        field=state, source=[CdcExportJobState.QUEUED, CdcExportJobState.RUNNING], target=CdcExportJobState.RUNNING
    )
    def start(self):
        pass

    @transition(field=state, source=CdcExportJobState.RUNNING, target=CdcExportJobState.DONE)
    def finish(self):
        pass

    @transition(
        field=state, source=[CdcExportJobState.QUEUED, CdcExportJobState.RUNNING], target=CdcExportJobState.FAILED
    )
    def fail(self):
        pass


def cdc_report_upload_to(instance, filename: str) -> str:
    return f"cdc/reports/{instance.export.id_flux}-{instance.sha256[:12]}.xml"


class CdcReport(models.Model):
    """The CDC's processing report of one deposited flux (``rapport``), imported back."""

    export = models.ForeignKey(CdcExport, on_delete=models.PROTECT, related_name="reports", verbose_name=_("flux"))
    file_name = models.CharField(_("deposited file name"), max_length=255)
    id_traitement = models.CharField(_("CDC processing id"), max_length=50, blank=True)
    file = models.FileField(_("file"), upload_to=cdc_report_upload_to, max_length=200)
    # The same report imported twice is refused (one row per file content).
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("CDC processing report")
        verbose_name_plural = _("CDC processing reports")
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.accepted}/{self.accepted + self.rejected})"


class CdcPassage(models.Model):
    """One award's line in a CDC report: accepted (or already recorded), or rejected with the
    CDC's message."""

    report = models.ForeignKey(CdcReport, on_delete=models.PROTECT, related_name="passages")
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="cdc_passages")
    id_technique = models.CharField(_("idTechnique"), max_length=255)
    accepted = models.BooleanField(_("accepted"))
    message = models.TextField(_("CDC message"), blank=True)

    class Meta:
        verbose_name = _("CDC report line")
        verbose_name_plural = _("CDC report lines")
        constraints = [models.UniqueConstraint(fields=["report", "id_technique"], name="one_line_per_award_and_report")]

    def __str__(self) -> str:
        return f"{self.id_technique}: {'OK' if self.accepted else self.message}"


class CdcDeadlineReminder(models.Model):
    """A reminder sent to the branch about one award not yet reported to the CDC, at 60 or 80
    days (domain.md "Accrochage": 3 months). The unique row is what makes the beat task safe
    to run twice or on two beat instances at once: a reminder exists once or was never sent."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="cdc_reminders")
    days = models.PositiveSmallIntegerField(_("days after the award"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("CDC deadline reminder")
        verbose_name_plural = _("CDC deadline reminders")
        constraints = [models.UniqueConstraint(fields=["certificate", "days"], name="one_cdc_reminder_per_threshold")]

    def __str__(self) -> str:
        return f"{self.certificate_id} at {self.days} days"
