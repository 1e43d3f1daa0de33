"""The correspondence between two successive versions of a référentiel, block by block.

When a version is published from a previous one, each block of the previous version gets one
or more rows here: the new block(s) that holding it counts as, or a single row with no new block
("no correspondence": holding the old block grants nothing on the new version). Blocks whose
code and content did not change are mapped automatically (``automatic``); the branch
administrator declares the others. The rows are written in the publication's transaction and
belong to the published version: like its content, they never change afterwards (model and
queryset guards here, statement triggers on PostgreSQL, migration 0005).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from certifications.models import VersionContentMixin, VersionContentQuerySet, _version_state


class BlockVersionMapping(VersionContentMixin, models.Model):
    """Holding ``old_block`` (a block of the version published before ``version``) counts as
    holding ``new_block`` (a block of ``version``); ``new_block`` empty: no correspondence."""

    version = models.ForeignKey(
        "certifications.ReferentialVersion",
        on_delete=models.CASCADE,
        related_name="block_mappings",
        verbose_name=_("version"),
        help_text=_("The version published with this correspondence."),
    )
    old_block = models.ForeignKey(
        "certifications.SkillBlock",
        on_delete=models.CASCADE,
        related_name="mappings_forward",
        verbose_name=_("block of the previous version"),
    )
    new_block = models.ForeignKey(
        "certifications.SkillBlock",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="mappings_backward",
        verbose_name=_("block of this version"),
    )
    automatic = models.BooleanField(_("mapped automatically (same code and content)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VersionContentQuerySet.as_manager()

    class Meta:
        verbose_name = _("block correspondence between versions")
        verbose_name_plural = _("block correspondences between versions")
        ordering = ["version", "old_block__order", "old_block_id", "new_block__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["old_block", "new_block"],
                condition=Q(new_block__isnull=False),
                name="unique_block_mapping",
            ),
            # "No correspondence" is said once per old block.
            models.UniqueConstraint(
                fields=["old_block"], condition=Q(new_block__isnull=True), name="unique_block_mapping_none"
            ),
            models.CheckConstraint(
                name="automatic_mapping_has_new_block",
                condition=Q(automatic=False) | Q(new_block__isnull=False),
            ),
            models.CheckConstraint(name="block_mapping_not_reflexive", condition=~Q(old_block=models.F("new_block"))),
        ]

    def __str__(self) -> str:
        target = self.new_block.code if self.new_block_id else "∅"
        return f"{self.old_block.code} → {target}"

    def frozen_state(self) -> str | None:
        return _version_state(self.version_id)
