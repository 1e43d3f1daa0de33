from rest_framework import serializers

from candidates.models import Path
from certifications.models import Certification
from cqp_portal import policy
from cqp_portal.accounts.models import User
from cqp_portal.api import VisibleRelatedField
from juries.models import (
    AppealState,
    BlockDecision,
    College,
    Decision,
    Dossier,
    JuryMember,
    JurySession,
    Outcome,
)


class JurySessionSerializer(serializers.ModelSerializer):
    certifications = serializers.PrimaryKeyRelatedField(many=True, queryset=Certification.objects.all())
    pv_approved_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = JurySession
        fields = [
            "id",
            "title",
            "certifications",
            "date",
            "place",
            "video_link",
            "state",
            "closed_at",
            "award_date",
            "pv_sha256",
            "pv_approved_by",
            "pv_approved_at",
            "pv_approved_sha256",
        ]
        read_only_fields = [
            "state",
            "closed_at",
            "award_date",
            "pv_sha256",
            "pv_approved_by",
            "pv_approved_at",
            "pv_approved_sha256",
        ]


def _narrow_to_scope(serializer, fields, models):
    """References in a request body accept only what the caller sees (else 404)."""
    request = serializer.context.get("request")
    user = getattr(request, "user", None)
    for name, model in models.items():
        fields[name].queryset = policy.scope(user, model)
    return fields


class JuryMemberSerializer(serializers.ModelSerializer):
    # Another session than the caller's is a 404 (see get_fields).
    session = VisibleRelatedField(queryset=JurySession.objects.none())
    email = serializers.EmailField(write_only=True)
    user = serializers.StringRelatedField(read_only=True)
    college = serializers.ChoiceField(choices=College.choices)

    class Meta:
        model = JuryMember
        fields = ["id", "session", "user", "email", "college", "is_president", "present"]
        read_only_fields = ["present"]

    def get_fields(self):
        return _narrow_to_scope(self, super().get_fields(), {"session": JurySession})

    def validate_email(self, value):
        user = User.objects.filter(email__iexact=value).first()
        if user is None:
            raise serializers.ValidationError("No person has this e-mail address.")
        return user


class DossierSerializer(serializers.ModelSerializer):
    # Narrowed to what the caller sees (get_fields), checked before the uniqueness check,
    # which would otherwise tell an outsider which session holds a path.
    session = VisibleRelatedField(queryset=JurySession.objects.none())
    path = VisibleRelatedField(queryset=Path.objects.none())
    candidate = serializers.CharField(source="path.candidate.display_name", read_only=True)

    class Meta:
        model = Dossier
        fields = ["id", "session", "path", "candidate", "is_open"]
        read_only_fields = ["is_open"]

    def get_fields(self):
        return _narrow_to_scope(self, super().get_fields(), {"session": JurySession, "path": Path})


class BlockDecisionSerializer(serializers.ModelSerializer):
    block_code = serializers.CharField(source="block.code", read_only=True)

    class Meta:
        model = BlockDecision
        fields = ["block", "block_code", "held", "expired_on", "validated", "reasons"]


class DecisionSerializer(serializers.ModelSerializer):
    block_decisions = BlockDecisionSerializer(many=True, read_only=True)
    session = serializers.IntegerField(source="dossier.session_id", read_only=True)
    # Empty while the decision is undecided (derived from the block decisions).
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)
    path = serializers.IntegerField(source="dossier.path_id", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "dossier",
            "session",
            "path",
            "outcome",
            "state",
            "is_current",
            "reasons",
            "recommendations",
            "supersedes",
            "correction_reason",
            "decided_at",
            "row_version",
            "block_decisions",
        ]
        read_only_fields = fields


class BlockValueSerializer(serializers.Serializer):
    block = serializers.IntegerField()
    validated = serializers.BooleanField(allow_null=True)
    reasons = serializers.CharField(required=False, allow_blank=True)


class DecisionUpdateSerializer(serializers.Serializer):
    row_version = serializers.IntegerField(help_text="The version read: a stale one gives 409.")
    blocks = BlockValueSerializer(many=True, required=False)
    reasons = serializers.CharField(required=False, allow_blank=True)
    recommendations = serializers.CharField(required=False, allow_blank=True)


class CorrectionSerializer(serializers.Serializer):
    reason = serializers.CharField()
    blocks = BlockValueSerializer(many=True, required=False)


class AppealSerializer(serializers.Serializer):
    reason = serializers.CharField()


class AppealCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=AppealState.choices)
