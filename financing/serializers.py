from decimal import Decimal

from rest_framework import serializers

from certifications.models import SkillBlock
from financing.models import Funder, FundingLine, Scheme, cpf_file_number_validator

money = {"max_digits": 12, "decimal_places": 2}


class FundingLineSerializer(serializers.ModelSerializer):
    """Read shape of a funding line. The state is read only: it changes through transitions."""

    scheme_label = serializers.CharField(source="get_scheme_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    funder_name = serializers.CharField(source="funder.name", read_only=True)
    blocks = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = FundingLine
        fields = [
            "id",
            "path",
            "scheme",
            "scheme_label",
            "funder",
            "funder_name",
            "blocks",
            "state",
            "state_label",
            "hours",
            "hourly_rate",
            "fixed_amount",
            "amount_requested",
            "amount_approved",
            "amount_invoiced",
            "amount_paid",
            "funder_reference",
            "cpf_file_number",
            "invoice_reference",
            "start_date",
            "end_date",
            "submitted_at",
            "decided_at",
            "decision_note",
            "invoiced_on",
            "paid_on",
            "cancelled_reason",
            "created_at",
        ]
        read_only_fields = fields


class FundingLineCreateSerializer(serializers.Serializer):
    path = serializers.IntegerField()
    scheme = serializers.ChoiceField(choices=Scheme.choices)
    funder = serializers.PrimaryKeyRelatedField(queryset=Funder.objects.all())
    blocks = serializers.PrimaryKeyRelatedField(queryset=SkillBlock.objects.all(), many=True, required=False)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)
    hours = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    hourly_rate = serializers.DecimalField(required=False, allow_null=True, min_value=Decimal("0"), **money)
    fixed_amount = serializers.DecimalField(required=False, allow_null=True, min_value=Decimal("0"), **money)
    funder_reference = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    cpf_file_number = serializers.CharField(
        required=False, allow_blank=True, max_length=13, default="", validators=[cpf_file_number_validator]
    )


class TransitionSerializer(serializers.Serializer):
    """Parameters of a transition; each transition reads only the ones it needs."""

    amount = serializers.DecimalField(required=False, allow_null=True, **money)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    invoice_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    date = serializers.DateField(required=False, allow_null=True)
