"""Funders, schemes and funding lines."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
