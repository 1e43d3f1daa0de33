from rest_framework import serializers

from juries.certificates.models import Certificate


class CertificateSerializer(serializers.ModelSerializer):
    holder = serializers.CharField(source="holder_name", read_only=True)
    verification_url = serializers.CharField(read_only=True)
    blocks = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Certificate
        fields = [
            "id",
            "kind",
            "state",
            "number",
            "path",
            "certification",
            "decision",
            "holder",
            "certification_title",
            "registration_number",
            "registration_level",
            "award_date",
            "award_place",
            "blocks",
            "sha256",
            "issued_at",
            "revoked_at",
            "revocation_reason",
            "supersedes",
            "verification_url",
            "error",
        ]
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
