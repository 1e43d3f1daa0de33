"""The audit trail: one append-only row per transition or change of a tracked record."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntryQuerySet(models.QuerySet):
    def for_object(self, obj):
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))

    def update(self, **kwargs):
        raise TypeError("Audit entries are append-only")

    def delete(self):
        raise TypeError("Audit entries are append-only")


class AuditEntry(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("action"), max_length=64)
    from_state = models.CharField(_("from"), max_length=32, blank=True)
    to_state = models.CharField(_("to"), max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    note = models.TextField(_("note"), blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"]),
            # Transitions of one kind over a period (the statistics' awards, issue 11).
            models.Index(fields=["content_type", "to_state", "at"], name="audit_type_state_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}→{self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit entries are append-only")
