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
            # Accrochage: not_sent, sent, accepted, rejected (with the CDC's message), to_redeposit.
            "cdc_status",
            "cdc_message",
        ]
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CdcReportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CDC's processing report (XML, root 'rapport').")


class CdcRejectionSerializer(serializers.Serializer):
    certificate = serializers.IntegerField(source="certificate_id")
    number = serializers.CharField(source="certificate.number")
    id_technique = serializers.CharField()
    message = serializers.CharField()
    advice = serializers.SerializerMethodField()
    # The candidate's fields to check (CandidateSerializer names).
    fields_to_check = serializers.SerializerMethodField()

    def get_advice(self, line) -> str:
        from juries.certificates.cdc.report import fix_for

        return fix_for(line.message).advice

    def get_fields_to_check(self, line) -> list[str]:
        from juries.certificates.cdc.report import fix_for

        return fix_for(line.message).fields


class CdcReportResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    id_flux = serializers.CharField(source="export.id_flux")
    file_name = serializers.CharField()
    id_traitement = serializers.CharField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rejections = serializers.SerializerMethodField()

    def get_rejections(self, report) -> list[dict]:
        lines = report.passages.filter(accepted=False).select_related("certificate").order_by("pk")
        return CdcRejectionSerializer(lines, many=True).data
