"""The reminders sent before a registration at the RNCP/RS ends (issue 20, point 3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistrationReminder(models.Model):
    """One reminder to the branch about a registration ending within ``months`` months (12 or 6).

    The row is written before the e-mail is queued and is unique per registration, threshold
    and end date: a second run of the beat task, or a second beat instance at the same moment,
    finds it and sends nothing. A renewed registration (new end date) is reminded again."""

    registration = models.ForeignKey("certifications.Registration", on_delete=models.CASCADE, related_name="reminders")
    months = models.PositiveSmallIntegerField(_("months before the end"))
    end_date = models.DateField(_("end of registration reminded"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("registration end reminder")
        verbose_name_plural = _("registration end reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "months", "end_date"], name="one_registration_reminder_per_threshold"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} at {self.months} months"
