from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from candidates.identity import identity_errors
from candidates.models import (
    AccessRoute,
    AssessmentOutcome,
    BlockAssessment,
    BlockPlan,
    Candidate,
    CriterionResult,
    Evidence,
    EvidenceKind,
    ExperienceRecord,
    ExperienceStatus,
    Path,
    PathBlock,
)
from candidates.services import CANDIDATE_FIELDS
from cqp_portal.api import VisibleRelatedField
from cqp_portal.api_fast import FastReadMixin


def _plain_choice(choices, help_text):
    """A choice field documented as a string: other apps use the same field names ("kind",
    "outcome") with other values, and one shared enum name would mix them up in the schema."""
    values = ", ".join(value for value, _label in choices)

    @extend_schema_field({"type": "string", "description": f"{help_text} One of: {values}."})
    class Field(serializers.ChoiceField):
        pass

    return Field(choices=choices)


class CandidateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Candidate
        fields = ["id", *CANDIDATE_FIELDS, "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs):
        # The model's identity rules (birth date, country, birth place, phone), field by field; a
        # partial update is checked with the record's other values.
        def value(name, default):
            return attrs.get(name, getattr(self.instance, name) if self.instance is not None else default)

        errors = identity_errors(
            birth_date=value("birth_date", None),
            birth_country=value("birth_country", "FR"),
            birth_place_code=value("birth_place_code", ""),
            birth_place_code_kind=value("birth_place_code_kind", ""),
            phone=value("phone", ""),
        )
        if errors:
            raise serializers.ValidationError({field: [str(message)] for field, message in errors.items()})
        return attrs


class PathBlockSerializer(FastReadMixin, serializers.ModelSerializer):
    """One block of a path: its plan after positioning, the ledger row holding it, the trainer and hours."""

    block_code = serializers.CharField(source="block.code", read_only=True)

    class Meta:
        model = PathBlock
        fields = [
            "id",
            "path",
            "block",
            "block_code",
            "plan",
            "held_through",
            "trainer",
            "planned_hours",
            "completed_hours",
            "confirmed_by",
            "confirmed_at",
        ]
        read_only_fields = fields


class PathSerializer(FastReadMixin, serializers.ModelSerializer):
    """The state is read-only: it moves only through POST /paths/{id}/transitions/{name}/."""

    admissibility_deadline = serializers.DateField(read_only=True, allow_null=True)
    blocks = PathBlockSerializer(source="path_blocks", many=True, read_only=True)

    class Meta:
        model = Path
        fields = [
            "id",
            "candidate",
            "certification",
            "version",
            "access_route",
            "state",
            "start_date",
            "evaluator",
            "workplace_tutor",
            "training_provider",
            "vae_target_block",
            "admissibility_requested_on",
            "admissibility_deadline",
            "admissibility_decided_on",
            "admissibility_deemed",
            "blocks",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PathCreateSerializer(serializers.Serializer):
    candidate = VisibleRelatedField(queryset=Candidate.objects.none())
    certification = serializers.PrimaryKeyRelatedField(
        queryset=Path._meta.get_field("certification").related_model.objects.all()
    )
    access_route = serializers.ChoiceField(choices=AccessRoute.choices)
    start_date = serializers.DateField(required=False, allow_null=True)
    vae_target_block = serializers.PrimaryKeyRelatedField(
        queryset=PathBlock._meta.get_field("block").related_model.objects.all(), required=False, allow_null=True
    )
    training_provider = serializers.PrimaryKeyRelatedField(
        queryset=Path._meta.get_field("training_provider").related_model.objects.all(),
        required=False,
        allow_null=True,
    )
    evaluator = serializers.PrimaryKeyRelatedField(
        queryset=Path._meta.get_field("evaluator").related_model.objects.all(), required=False, allow_null=True
    )


class PathTransitionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PositioningSerializer(serializers.Serializer):
    path = VisibleRelatedField(queryset=Path.objects.none())
    plans = serializers.DictField(child=serializers.ChoiceField(choices=BlockPlan.choices))
    planned_hours = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False)
    trainers = serializers.DictField(child=serializers.IntegerField(), required=False)


class CriterionResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = CriterionResult
        fields = ["criterion", "met"]


class AssessmentSerializer(serializers.ModelSerializer):
    criterion_results = CriterionResultSerializer(many=True, read_only=True)
    outcome = _plain_choice(AssessmentOutcome.choices, "Assessment outcome.")

    class Meta:
        model = BlockAssessment
        fields = [
            "id",
            "path",
            "block",
            "evaluator",
            "assessor_role",
            "modality",
            "assessed_on",
            "outcome",
            "comment",
            "supersedes",
            "correction_reason",
            "criterion_results",
            "created_at",
        ]
        read_only_fields = fields


class AssessmentCreateSerializer(serializers.Serializer):
    path = VisibleRelatedField(queryset=Path.objects.none())
    block = serializers.PrimaryKeyRelatedField(queryset=PathBlock._meta.get_field("block").related_model.objects.all())
    modality = serializers.PrimaryKeyRelatedField(
        queryset=BlockAssessment._meta.get_field("modality").related_model.objects.all()
    )
    assessed_on = serializers.DateField()
    outcome = _plain_choice(AssessmentOutcome.choices, "Assessment outcome.")
    criterion_results = serializers.DictField(child=serializers.BooleanField())
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    supersedes = serializers.PrimaryKeyRelatedField(
        queryset=BlockAssessment.objects.all(), required=False, allow_null=True
    )
    correction_reason = serializers.CharField(required=False, allow_blank=True, default="")
    evidence_file = serializers.FileField(
        required=False,
        allow_null=True,
        help_text="Optional evidence (PDF, JPEG or PNG; multipart): recorded with the assessment or not at all.",
    )


class EvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    kind = _plain_choice(EvidenceKind.choices, "Kind of document.")

    class Meta:
        model = Evidence
        fields = [
            "id",
            "path",
            "block",
            "kind",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return reverse("candidates:evidence_download", args=[obj.pk])


class EvidenceUploadSerializer(serializers.Serializer):
    path = VisibleRelatedField(queryset=Path.objects.none())
    kind = _plain_choice(EvidenceKind.choices, "Kind of document.")
    block = serializers.PrimaryKeyRelatedField(
        queryset=PathBlock._meta.get_field("block").related_model.objects.all(), required=False, allow_null=True
    )
    file = serializers.FileField()


class ExperienceRecordSerializer(serializers.ModelSerializer):
    """One experience a VAE candidate puts forward for admissibility. Written by the candidate
    of the path, before the request is sent; the service checks the rules."""

    path = VisibleRelatedField(queryset=Path.objects.none())
    status = _plain_choice(ExperienceStatus.choices, "Capacity in which the experience was gained.")
    blocks = serializers.PrimaryKeyRelatedField(
        many=True, queryset=PathBlock._meta.get_field("block").related_model.objects.all()
    )
    employer = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    description = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = ExperienceRecord
        fields = [
            "id",
            "path",
            "activity",
            "status",
            "employer",
            "start_date",
            "end_date",
            "duration_hours",
            "blocks",
            "description",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # The service checks the rules (refusals in the API's error shape).
        validators = []
        extra_kwargs = {"duration_hours": {"min_value": 0}}
