"""The correspondence between référentiel versions, block by block (issue 15, point 2).

On PostgreSQL its rows are frozen with the version they belong to: the statement triggers of
migration 0004 (the same function, by ``version_id``) refuse any INSERT, UPDATE or DELETE of a
correspondence whose version is not a draft. The rows are written in the publication's
transaction, before the version leaves the draft state."""

import certifications.models
import django.db.models.deletion
from django.db import migrations, models


TABLE = "certifications_blockversionmapping"
EVENTS = [
    ("insert", "INSERT", "REFERENCING NEW TABLE AS certifications_frozen_new"),
    (
        "update",
        "UPDATE",
        "REFERENCING OLD TABLE AS certifications_frozen_old NEW TABLE AS certifications_frozen_new",
    ),
    ("delete", "DELETE", "REFERENCING OLD TABLE AS certifications_frozen_old"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for suffix, event, referencing in EVENTS:
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_frozen_{suffix} AFTER {event} ON {TABLE} {referencing} "
            "FOR EACH STATEMENT EXECUTE FUNCTION certifications_refuse_frozen_statement('version');",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for suffix, _event, _referencing in EVENTS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_frozen_{suffix} ON {TABLE};", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("certifications", "0004_frozen_content_statement_triggers"),
    ]

    operations = [
        migrations.CreateModel(
            name="BlockVersionMapping",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "automatic",
                    models.BooleanField(default=False, verbose_name="mapped automatically (same code and content)"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "new_block",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="mappings_backward",
                        to="certifications.skillblock",
                        verbose_name="block of this version",
                    ),
                ),
                (
                    "old_block",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="mappings_forward",
                        to="certifications.skillblock",
                        verbose_name="block of the previous version",
                    ),
                ),
                (
                    "version",
                    models.ForeignKey(
                        help_text="The version published with this correspondence.",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="block_mappings",
                        to="certifications.referentialversion",
                        verbose_name="version",
                    ),
                ),
            ],
            options={
                "verbose_name": "block correspondence between versions",
                "verbose_name_plural": "block correspondences between versions",
                "ordering": ["version", "old_block__order", "old_block_id", "new_block__order"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("new_block__isnull", False)),
                        fields=("old_block", "new_block"),
                        name="unique_block_mapping",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("new_block__isnull", True)),
                        fields=("old_block",),
                        name="unique_block_mapping_none",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("automatic", False), ("new_block__isnull", False), _connector="OR"),
                        name="automatic_mapping_has_new_block",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("old_block", models.F("new_block")), _negated=True),
                        name="block_mapping_not_reflexive",
                    ),
                ],
            },
            bases=(certifications.models.VersionContentMixin, models.Model),
        ),
        migrations.RunPython(forwards, backwards),
    ]
