"""REST endpoints for branches, certifications, référentiel versions, habilitations and
equivalences. Reads follow the policy scope; every write goes through a service, which
checks the permission (403) and the rules (400)."""

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from certifications import filters, serializers, services
from certifications.models import (
    BlockEquivalence,
    Branch,
    Certification,
    Habilitation,
    ReferentialVersion,
    SkillBlock,
)
from certifications.version_mapping import correspondence_summary
from cqp_portal import policy
from cqp_portal.errors import RuleViolation


class ScopedMixin:
    """Lists and lookups filtered by the policy: outside the scope is a 404."""

    def get_queryset(self):
        return policy.scope(self.request.user, self.queryset.model, self.base_queryset())

    def base_queryset(self):
        return self.queryset.all()


class BranchViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Branch.objects.select_related("opco").order_by("idcc")
    serializer_class = serializers.BranchSerializer
    filterset_class = filters.BranchFilter
    ordering_fields = ["idcc", "name"]
    ordering = ["idcc"]


class CertificationViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Certification.objects.select_related("registration").prefetch_related("branches").order_by("code")
    serializer_class = serializers.CertificationSerializer
    filterset_class = filters.CertificationFilter
    ordering_fields = ["code", "title", "created_at"]
    ordering = ["code"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        rules = {f: data.pop(f) for f in services.RULE_FIELDS if f in data}
        serializer.instance = services.certification_create(
            by=self.request.user,
            kind=data["kind"],
            code=data["code"],
            title=data["title"],
            branches=data.get("branches", []),
            nsf_codes=data.get("nsf_codes"),
            **rules,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("code", None)  # the code is the certification's natural key: never renamed
        rules = {f: data.pop(f) for f in services.RULE_FIELDS if f in data}
        serializer.instance = services.certification_update(
            certification=serializer.instance,
            by=self.request.user,
            title=data.get("title"),
            kind=data.get("kind"),
            branches=data.get("branches"),
            nsf_codes=data.get("nsf_codes"),
            **rules,
        )


class ReferentialVersionViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Versions with their nested blocks. Content changes only on a draft; publishing and
    starting a new version are explicit actions."""

    queryset = ReferentialVersion.objects.select_related("certification").order_by("certification__code", "number")
    serializer_class = serializers.ReferentialVersionSerializer
    filterset_class = filters.ReferentialVersionFilter
    ordering_fields = ["number", "published_at", "created_at"]
    ordering = ["certification__code", "number"]

    def base_queryset(self):
        return self.queryset.prefetch_related(
            "activities",
            Prefetch(
                "blocks",
                queryset=SkillBlock.objects.order_by("order", "pk").prefetch_related(
                    "competencies", "modalities", "criteria"
                ),
            ),
        )

    @extend_schema(
        request=serializers.VersionCreateSerializer, responses={201: serializers.ReferentialVersionSerializer}
    )
    def create(self, request):
        """Start a draft: a copy of the published version (default) or an empty one."""
        incoming = serializers.VersionCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        certification = policy.get_visible_or_404(request.user, Certification, pk=data["certification"].pk)
        if data["from_published"]:
            version = services.version_new_from_published(
                certification=certification, by=request.user, summary=data["summary"]
            )
        else:
            version = services.version_create_draft(
                certification=certification, by=request.user, summary=data["summary"]
            )
        return Response(self._out(version), status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.VersionSummarySerializer, responses=serializers.ReferentialVersionSerializer)
    def partial_update(self, request, pk=None):
        version = self.get_object()
        incoming = serializers.VersionSummarySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        summary = incoming.validated_data.get("summary", version.summary)
        version = services.version_update_summary(version=version, by=request.user, summary=summary)
        return Response(self._out(version))

    def perform_destroy(self, instance):
        services.version_delete_draft(version=instance, by=self.request.user)

    def _out(self, version):
        version = self.base_queryset().get(pk=version.pk)
        return serializers.ReferentialVersionSerializer(version, context=self.get_serializer_context()).data

    @extend_schema(request=serializers.VersionPublishSerializer, responses=serializers.ReferentialVersionSerializer)
    @action(detail=True, methods=["post"], serializer_class=serializers.VersionPublishSerializer)
    def publish(self, request, pk=None):
        """Publish a draft with the correspondence of the previous version's changed or removed
        blocks (unchanged blocks are mapped automatically). A missing or wrong declaration is a
        400 whose ``fields.correspondences`` gives the messages by old block id."""
        version = self.get_object()
        incoming = serializers.VersionPublishSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            version = services.version_publish(
                version=version, by=request.user, correspondences=incoming.declarations()
            )
        except RuleViolation as exc:
            if exc.code != "block_mapping_invalid" or not exc.details:
                raise
            by_block: dict[str, list[str]] = {}
            for problem in exc.details:
                by_block.setdefault(str(problem.block_id), []).append(str(problem.message))
            return Response(
                {
                    "code": exc.code,
                    "message": str(exc.message),
                    "fields": {"correspondences": by_block},
                    "details": [str(p) for p in exc.details],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(self._out(version))

    @extend_schema(request=None, responses=serializers.VersionCorrespondenceSerializer)
    @action(detail=True, methods=["get"], serializer_class=serializers.VersionCorrespondenceSerializer)
    def correspondence(self, request, pk=None):
        """The correspondence of the previous version's blocks: recorded once the version is
        published; for a draft, the automatic rows and the blocks still to declare."""
        summary = correspondence_summary(self.get_object())
        return Response(serializers.VersionCorrespondenceSerializer(summary).data)

    @extend_schema(request=None, responses=serializers.ReferentialVersionSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        version = services.version_retire(version=self.get_object(), by=request.user)
        return Response(self._out(version))

    @extend_schema(request=None, responses={201: serializers.ReferentialVersionSerializer})
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        version = self.get_object()
        draft = services.version_new_from_published(certification=version.certification, by=request.user)
        return Response(self._out(draft), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.BlockInputSerializer,
        responses={
            200: serializers.ReferentialVersionSerializer,  # a block replaced
            201: serializers.ReferentialVersionSerializer,  # a block added
        },
    )
    @action(detail=True, methods=["post"], serializer_class=serializers.BlockInputSerializer)
    def blocks(self, request, pk=None):
        """Add a block to the draft, or replace one (give its ``id``)."""
        version = self.get_object()
        incoming = serializers.BlockInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        block_id = data.pop("id", None)
        block = SkillBlock.objects.filter(pk=block_id, version=version).first() if block_id else None
        if block_id and block is None:
            raise Http404
        services.block_save(version=version, by=request.user, block=block, **data)
        return Response(self._out(version), status=status.HTTP_200_OK if block else status.HTTP_201_CREATED)


class HabilitationViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    queryset = Habilitation.objects.select_related("certification", "training_provider", "evaluator").order_by("pk")
    serializer_class = serializers.HabilitationSerializer
    filterset_class = filters.HabilitationFilter
    ordering_fields = ["valid_from", "valid_until", "created_at"]
    ordering = ["pk"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.habilitation_add(
            certification=data["certification"],
            by=self.request.user,
            valid_from=data["valid_from"],
            valid_until=data.get("valid_until"),
            training_provider=data.get("training_provider"),
            evaluator=data.get("evaluator"),
        )

    @extend_schema(request=serializers.HabilitationEndSerializer, responses=serializers.HabilitationSerializer)
    @action(detail=True, methods=["post"], serializer_class=serializers.HabilitationEndSerializer)
    def end(self, request, pk=None):
        incoming = serializers.HabilitationEndSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        habilitation = services.habilitation_end(
            habilitation=self.get_object(), by=request.user, on_date=incoming.validated_data["on_date"]
        )
        return Response(serializers.HabilitationSerializer(habilitation).data)


class BlockEquivalenceViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = BlockEquivalence.objects.select_related("from_block", "to_block").order_by("pk")
    serializer_class = serializers.BlockEquivalenceSerializer
    filterset_class = filters.BlockEquivalenceFilter
    ordering_fields = ["id"]
    ordering = ["pk"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        for block in (data["from_block"], data["to_block"]):
            policy.get_visible_or_404(self.request.user, SkillBlock, pk=block.pk)
        serializer.instance = services.equivalence_add(
            from_block=data["from_block"],
            to_block=data["to_block"],
            by=self.request.user,
            bidirectional=data.get("bidirectional", True),
            note=data.get("note", ""),
        )

    def perform_destroy(self, instance):
        services.equivalence_remove(equivalence=instance, by=self.request.user)
