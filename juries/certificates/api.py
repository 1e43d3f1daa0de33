"""REST: certificates visible to the user (policy scope), revocation and re-issue, and the CDC
round trip (processing report import, deposit again after a rejection)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from cqp_portal import policy
from juries.certificates import services
from juries.certificates.cdc import report as cdc_report
from juries.certificates.models import Certificate
from juries.certificates.serializers import (
    CdcReportResultSerializer,
    CdcReportUploadSerializer,
    CertificateSerializer,
    ReasonSerializer,
)


class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CertificateSerializer
    filterset_fields = ["state", "kind", "certification", "path", "decision", "cdc_status"]
    ordering_fields = ["award_date", "number"]

    def get_queryset(self):
        qs = Certificate.objects.select_related("certification").prefetch_related("blocks")
        return policy.scope(self.request.user, Certificate, qs).order_by("-award_date", "-year", "-sequence")

    @extend_schema(request=ReasonSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        certificate = services.certificate_revoke(
            certificate=self.get_object(), by=request.user, reason=data.validated_data["reason"]
        )
        return Response(CertificateSerializer(certificate).data)

    @extend_schema(request=ReasonSerializer, responses={201: CertificateSerializer})
    @action(detail=True, methods=["post"])
    def reissue(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        certificate = services.certificate_reissue(
            certificate=self.get_object(), by=request.user, reason=data.validated_data["reason"]
        )
        return Response(CertificateSerializer(certificate).data, status=201)

    @extend_schema(request=None, responses=CertificateSerializer)
    @action(detail=True, methods=["post"], url_path="cdc-redeposit")
    def cdc_redeposit(self, request, pk=None):
        """A rejected award goes in the next CDC flux again, with the same idTechnique."""
        certificate = cdc_report.cdc_redeposit(certificate=self.get_object(), by=request.user)
        return Response(CertificateSerializer(certificate).data)

    @extend_schema(request=CdcReportUploadSerializer, responses={201: CdcReportResultSerializer})
    @action(detail=False, methods=["post"], url_path="cdc-reports", parser_classes=[MultiPartParser])
    def cdc_reports(self, request):
        """Import the CDC's processing report ("rapport") of a deposited flux: all or nothing."""
        policy.require(request.user, "cdc.export")
        data = CdcReportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = cdc_report.cdc_report_import(data=data.validated_data["file"].read(), by=request.user)
        return Response(CdcReportResultSerializer(report).data, status=201)
