from django.contrib.auth import get_user_model
from rest_framework import serializers

from certifications.models import (
    Activity,
    BlockEquivalence,
    Branch,
    Certification,
    CertificationKind,
    Criterion,
    EvaluationModality,
    Habilitation,
    ModalityKind,
    ReferentialVersion,
    Registration,
    SkillBlock,
    TrainingProvider,
)
from certifications.services import RULE_FIELDS


class BranchSerializer(serializers.ModelSerializer):
    opco = serializers.StringRelatedField()

    class Meta:
        model = Branch
        fields = ["id", "idcc", "name", "opco"]


class RegistrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Registration
        fields = [
            "register",
            "number",
            "level",
            "decision_date",
            "end_date",
            "last_delivery_date",
            "listed_active",
            "access_routes",
        ]


class CertificationSerializer(serializers.ModelSerializer):
    branches = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all(), many=True, required=False)
    registration = RegistrationSerializer(source="registration_or_none", read_only=True, allow_null=True)
    kind = serializers.ChoiceField(choices=CertificationKind.choices)

    class Meta:
        model = Certification
        fields = [
            "id",
            "kind",
            "code",
            "title",
            "nsf_codes",
            "branches",
            "certifier_names",
            "registration",
            *RULE_FIELDS,
        ]
        read_only_fields = ["certifier_names"]


class ActivitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Activity
        fields = ["order", "title", "description"]


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "text"]


class ModalitySerializer(serializers.ModelSerializer):
    class Meta:
        model = EvaluationModality
        fields = ["id", "kind", "description"]


class SkillBlockSerializer(serializers.ModelSerializer):
    """Modalities and criteria carry their ids: recording an assessment names them."""

    competencies = serializers.SerializerMethodField()
    criteria = CriterionSerializer(many=True, read_only=True)
    modalities = ModalitySerializer(many=True, read_only=True)

    class Meta:
        model = SkillBlock
        fields = ["id", "code", "title", "order", "mandatory", "description", "competencies", "modalities", "criteria"]

    def get_competencies(self, block) -> list[str]:
        return [c.text for c in block.competencies.all()]


class ReferentialVersionSerializer(serializers.ModelSerializer):
    certification_code = serializers.CharField(source="certification.code", read_only=True)
    blocks = SkillBlockSerializer(many=True, read_only=True)
    activities = ActivitySerializer(many=True, read_only=True)

    class Meta:
        model = ReferentialVersion
        fields = [
            "id",
            "certification",
            "certification_code",
            "number",
            "state",
            "summary",
            "source",
            "based_on",
            "published_at",
            "retired_at",
            "activities",
            "blocks",
        ]
        read_only_fields = ["number", "state", "source", "based_on", "published_at", "retired_at"]


class VersionSummarySerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True, help_text="What changed in this draft.")


class VersionCreateSerializer(serializers.Serializer):
    certification = serializers.PrimaryKeyRelatedField(queryset=Certification.objects.all())
    from_published = serializers.BooleanField(default=True)
    summary = serializers.CharField(required=False, allow_blank=True, default="")


class ModalityInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ModalityKind.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class BlockInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="an existing block of the draft, to update it")
    code = serializers.CharField(max_length=32)
    title = serializers.CharField(max_length=500)
    mandatory = serializers.BooleanField(default=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    competencies = serializers.ListField(child=serializers.CharField(), required=False)
    modalities = ModalityInputSerializer(many=True, required=False)
    criteria = serializers.ListField(child=serializers.CharField(), required=False)


class HabilitationSerializer(serializers.ModelSerializer):
    evaluator = serializers.SlugRelatedField(
        slug_field="email", queryset=get_user_model().objects.all(), required=False, allow_null=True
    )
    training_provider = serializers.PrimaryKeyRelatedField(
        queryset=TrainingProvider.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Habilitation
        fields = ["id", "certification", "kind", "training_provider", "evaluator", "valid_from", "valid_until"]
        read_only_fields = ["kind"]


class HabilitationEndSerializer(serializers.Serializer):
    on_date = serializers.DateField()


class BlockEquivalenceSerializer(serializers.ModelSerializer):
    from_block_code = serializers.CharField(source="from_block.code", read_only=True)
    to_block_code = serializers.CharField(source="to_block.code", read_only=True)

    class Meta:
        model = BlockEquivalence
        fields = ["id", "from_block", "from_block_code", "to_block", "to_block_code", "bidirectional", "note"]


class BlockCorrespondenceInputSerializer(serializers.Serializer):
    old_block = serializers.IntegerField(
        help_text="Id of a changed or removed block of the previous version (unchanged blocks are mapped "
        "automatically and are not declared)."
    )
    new_blocks = serializers.ListField(
        child=serializers.IntegerField(),
        allow_empty=True,
        help_text="Ids of the blocks of the version being published that holding the old block counts as; "
        "an empty list declares that the old block has no correspondence.",
    )


class VersionPublishSerializer(serializers.Serializer):
    correspondences = BlockCorrespondenceInputSerializer(
        many=True,
        required=False,
        help_text="One entry per changed or removed block of the previous version (see the `correspondence` "
        "action for the list). Publication is refused while one is missing. Omit for a first version.",
    )

    def validate_correspondences(self, value):
        seen = [row["old_block"] for row in value]
        if len(seen) != len(set(seen)):
            raise serializers.ValidationError("Each block of the previous version is declared once.")
        return value

    def declarations(self) -> dict[int, list[int]]:
        return {row["old_block"]: row["new_blocks"] for row in self.validated_data.get("correspondences", [])}


class BlockCorrespondenceSerializer(serializers.Serializer):
    old_block = serializers.IntegerField(help_text="Id of the block of the previous version.")
    old_block_code = serializers.CharField()
    block_change = serializers.ChoiceField(
        choices=["unchanged", "changed", "removed"],
        help_text="unchanged: same code and content (mapped automatically); changed: a block with the same "
        "code exists but its content differs; removed: no block of this version has its code.",
    )
    mapping_status = serializers.ChoiceField(
        choices=["automatic", "declared", "to_declare"],
        help_text="automatic or declared: recorded at publication; to_declare: a draft's block still to declare.",
    )
    new_blocks = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids of the blocks of this version that holding the old block counts as (empty: none).",
    )
    new_block_codes = serializers.ListField(child=serializers.CharField())


class VersionCorrespondenceSerializer(serializers.Serializer):
    previous_version = serializers.IntegerField(
        allow_null=True, help_text="Id of the previous version (null for a first version)."
    )
    previous_version_number = serializers.IntegerField(allow_null=True)
    recorded = serializers.BooleanField(
        help_text="True once the version is published: the correspondence is then immutable."
    )
    blocks = BlockCorrespondenceSerializer(many=True)
