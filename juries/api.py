"""REST endpoints of the juries app. Reads go through the policy scope; every write and
transition calls the same service as the HTML pages."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cqp_portal import policy
from cqp_portal.api import UnknownTransition
from cqp_portal.api_schema import transition_parameter
from juries import filters, services
from juries.models import BlockDecision, Decision, Dossier, JuryMember, JurySession
from juries.serializers import (
    AppealCreatedSerializer,
    AppealSerializer,
    CorrectionSerializer,
    DecisionSerializer,
    DecisionUpdateSerializer,
    DossierSerializer,
    JuryMemberSerializer,
    JurySessionSerializer,
)


class MinutesApprovalSerializer(serializers.Serializer):
    second_factor = serializers.CharField(
        help_text="The current TOTP code of the approver (or, where two-factor authentication is off, the password).",
        trim_whitespace=True,
    )
    sha256 = serializers.CharField(required=False, help_text="SHA-256 of the minutes the approver read.")


class JurySessionMinutesMixin:
    @extend_schema(request=MinutesApprovalSerializer, responses=JurySessionSerializer)
    @action(detail=True, methods=["post"], url_path="approve-minutes")
    def approve_minutes(self, request, pk=None):
        """President or vice-president: approve the current version of the minutes."""
        session = self.get_object()  # outside the scope: 404 before anything is read
        data = MinutesApprovalSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.jury_session_approve_minutes(
            session=session,
            by=request.user,
            second_factor=data.validated_data["second_factor"],
            sha256_seen=data.validated_data.get("sha256"),
        )
        session.refresh_from_db()
        return Response(JurySessionSerializer(session).data)


SESSION_TRANSITIONS = {
    "convene": services.jury_session_convene,
    "start_deliberation": services.jury_session_start_deliberation,
    "close": services.jury_session_close,
    "ratify": services.jury_session_ratify,
}


class JurySessionViewSet(JurySessionMinutesMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = JurySessionSerializer
    filterset_class = filters.JurySessionFilter
    ordering_fields = ["date", "created_at"]
    ordering = ["-date", "-pk"]

    def get_queryset(self):
        return policy.scope(self.request.user, JurySession).prefetch_related("certifications")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.jury_session_create(
            certifications=data["certifications"],
            date=data["date"],
            place=data.get("place", ""),
            video_link=data.get("video_link", ""),
            title=data.get("title", ""),
            by=self.request.user,
        )

    @extend_schema(
        request=None,
        responses=JurySessionSerializer,
        parameters=[transition_parameter(SESSION_TRANSITIONS, "Jury session transition.")],
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[^/]+)")
    def transitions(self, request, pk=None, name=None):
        session = self.get_object()
        if name not in SESSION_TRANSITIONS:
            raise UnknownTransition(name)
        session = SESSION_TRANSITIONS[name](session=session, by=request.user)
        session.refresh_from_db()
        return Response(JurySessionSerializer(session).data)


class JuryMemberViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = JuryMemberSerializer
    filterset_class = filters.JuryMemberFilter
    ordering_fields = ["session", "added_at"]
    ordering = ["session", "pk"]

    def get_queryset(self):
        return policy.scope(self.request.user, JuryMember).select_related("user")

    def perform_create(self, serializer):
        data = serializer.validated_data
        session = policy.get_visible_or_404(self.request.user, JurySession, pk=data["session"].pk)
        serializer.instance = services.jury_member_add(
            session=session,
            user=data["email"],
            college=data["college"],
            is_president=data.get("is_president", False),
            by=self.request.user,
        )


class DossierViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DossierSerializer
    filterset_class = filters.DossierFilter
    ordering_fields = ["session", "added_at"]
    ordering = ["session", "pk"]

    def get_queryset(self):
        return policy.scope(self.request.user, Dossier).select_related("path__candidate")

    def perform_create(self, serializer):
        data = serializer.validated_data
        session = policy.get_visible_or_404(self.request.user, JurySession, pk=data["session"].pk)
        serializer.instance = services.dossier_add(session=session, path=data["path"], by=self.request.user)


def _blocks(items) -> tuple[dict, dict]:
    values = {item["block"]: item["validated"] for item in items or []}
    reasons = {item["block"]: item["reasons"] for item in items or [] if "reasons" in item}
    return values, reasons


class DecisionViewSet(viewsets.ReadOnlyModelViewSet):
    """Candidates see their own final decisions; members and branch administrators those of
    their sessions. PATCH saves a grid row (optimistic concurrency on ``row_version``)."""

    serializer_class = DecisionSerializer
    filterset_class = filters.DecisionFilter
    ordering_fields = ["dossier", "decided_at", "created_at"]
    ordering = ["dossier", "pk"]

    def get_queryset(self):
        return (
            policy.scope(self.request.user, Decision)
            .select_related("dossier")
            .prefetch_related(Prefetch("block_decisions", queryset=BlockDecision.objects.select_related("block")))
        )

    @extend_schema(request=DecisionUpdateSerializer, responses=DecisionSerializer)
    def partial_update(self, request, pk=None):
        decision = self.get_object()
        payload = DecisionUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        values, reasons = _blocks(data.get("blocks"))
        decision = services.decision_update(
            decision=decision,
            by=request.user,
            expected_version=data["row_version"],
            blocks=values,
            block_reasons=reasons,
            reasons=data.get("reasons"),
            recommendations=data.get("recommendations"),
        )
        return Response(DecisionSerializer(self.get_queryset().get(pk=decision.pk)).data)

    @extend_schema(request=CorrectionSerializer, responses={201: DecisionSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        decision = self.get_object()
        payload = CorrectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values, _reasons = _blocks(payload.validated_data.get("blocks"))
        new = services.decision_correct(
            decision=decision, by=request.user, reason=payload.validated_data["reason"], blocks=values
        )
        return Response(DecisionSerializer(self.get_queryset().get(pk=new.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AppealSerializer, responses={201: AppealCreatedSerializer})
    @action(detail=True, methods=["post"])
    def appeal(self, request, pk=None):
        decision = self.get_object()
        payload = AppealSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        appeal = services.appeal_file(decision=decision, by=request.user, reason=payload.validated_data["reason"])
        return Response({"id": appeal.pk, "state": appeal.state}, status=status.HTTP_201_CREATED)
