"""REST: certificates visible to the user (policy scope), revocation and re-issue."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cqp_portal import policy
from juries.certificates import services
from juries.certificates.models import Certificate
from juries.certificates.serializers import CertificateSerializer, ReasonSerializer


class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CertificateSerializer
    filterset_fields = ["state", "kind", "certification", "path", "decision"]
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
