"""REST endpoints for funding lines. The state never is a writable field: it changes only
through ``POST /api/v1/funding-lines/{id}/transitions/{name}/``."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from candidates.models import Path
from cqp_portal import policy
from cqp_portal.api import UnknownTransition
from cqp_portal.api_schema import transition_parameter
from financing import filters, services
from financing.models import FundingLine
from financing.serializers import FundingLineCreateSerializer, FundingLineSerializer, TransitionSerializer


def _transition_kwargs(name: str, data: dict) -> dict:
    if name == "approve":
        return {"amount": data.get("amount"), "note": data.get("note", "")}
    if name in ("refuse", "cancel"):
        return {"reason": data.get("reason", "")}
    if name == "invoice":
        return {
            "amount": data.get("amount"),
            "invoice_reference": data.get("invoice_reference", ""),
            "invoiced_on": data.get("date"),
        }
    if name == "pay":
        return {"amount": data.get("amount"), "paid_on": data.get("date")}
    return {}


class FundingLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = FundingLineSerializer
    filterset_class = filters.FundingLineFilter
    ordering_fields = ["created_at", "submitted_at", "start_date", "amount_requested"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self):
        return policy.scope(self.request.user, FundingLine).select_related("funder").prefetch_related("blocks")

    @extend_schema(request=FundingLineCreateSerializer, responses={201: FundingLineSerializer})
    def create(self, request):
        serializer = FundingLineCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        path = policy.get_visible_or_404(request.user, Path, pk=data.pop("path"))
        line = services.funding_line_create(path=path, by=request.user, **data)
        return Response(FundingLineSerializer(line).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TransitionSerializer,
        responses={200: FundingLineSerializer},
        parameters=[transition_parameter(services.TRANSITIONS, "Funding line transition.")],
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[^/]+)")
    def transitions(self, request, pk=None, name=None):
        line = self.get_object()
        if name not in services.TRANSITIONS:
            raise UnknownTransition(name)
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        line = services.TRANSITIONS[name](
            line=line, by=request.user, **_transition_kwargs(name, serializer.validated_data)
        )
        return Response(FundingLineSerializer(line).data)
