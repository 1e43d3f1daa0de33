"""REST API for candidates, paths (transitions as explicit actions), positionings,
assessments and evidence. Same policy and services as the HTML pages."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from candidates import filters, services
from candidates.models import BlockAssessment, Candidate, Evidence, ExperienceRecord, Path, PathBlock
from candidates.serializers import (
    AssessmentCreateSerializer,
    AssessmentSerializer,
    CandidateSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    ExperienceRecordSerializer,
    PathBlockSerializer,
    PathCreateSerializer,
    PathSerializer,
    PathTransitionSerializer,
    PositioningSerializer,
)
from cqp_portal import policy
from cqp_portal.api import UnknownTransition
from cqp_portal.api_schema import transition_parameter


def visible_paths(user):
    return policy.scope(user, Path)


class CandidateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = CandidateSerializer
    filterset_class = filters.CandidateFilter
    ordering_fields = ["birth_name", "created_at"]
    ordering = ["birth_name", "pk"]

    def get_queryset(self):
        return policy.scope(self.request.user, Candidate)

    def perform_create(self, serializer):
        serializer.instance = services.candidate_create(by=self.request.user, **serializer.validated_data)

    @extend_schema(request=CandidateSerializer, responses=CandidateSerializer)
    @action(detail=True, methods=["patch"])
    def identity(self, request, pk=None):
        """Correct the identity (e.g. after a CDC rejection): same rules as at creation, audited."""
        candidate = self.get_object()
        policy.require(request.user, "candidate.update_identity", candidate)
        serializer = CandidateSerializer(candidate, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if k in services.IDENTITY_EDIT_FIELDS}
        updated = services.candidate_update_identity(candidate=candidate, by=request.user, **fields)
        return Response(CandidateSerializer(updated).data)


PATH_BLOCK_FIELDS = [f.attname for f in PathBlock._meta.concrete_fields]


class PathViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PathSerializer
    filterset_class = filters.PathFilter
    ordering_fields = ["created_at", "updated_at", "start_date", "state"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self):
        qs = Path.objects.prefetch_related(
            Prefetch(
                "path_blocks",
                # The serializer reads the block's code only: not its description.
                queryset=PathBlock.objects.select_related("block")
                .only(*PATH_BLOCK_FIELDS, "block__code", "block__order")
                .order_by("block__order"),
            )
        )
        return policy.scope(self.request.user, Path, qs)

    @extend_schema(request=PathCreateSerializer, responses=PathSerializer)
    def create(self, request):
        serializer = PathCreateSerializer(data=request.data)
        serializer.fields["candidate"].queryset = policy.scope(request.user, Candidate)
        serializer.is_valid(raise_exception=True)
        path = services.path_create(by=request.user, **serializer.validated_data)
        return Response(PathSerializer(path).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PathTransitionSerializer,
        responses=PathSerializer,
        parameters=[transition_parameter(services.TRANSITIONS, "Path transition.")],
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[^/]+)")
    def transition(self, request, pk=None, name=None):
        path = self.get_object()
        if name not in services.TRANSITIONS:
            raise UnknownTransition(name)
        serializer = PathTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        path = services.TRANSITIONS[name](path=path, by=request.user, note=serializer.validated_data["note"])
        return Response(PathSerializer(self.get_queryset().get(pk=path.pk)).data)


class PositioningViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """GET: positioning rows of visible paths. POST: confirm the positioning of one path."""

    serializer_class = PathBlockSerializer
    filterset_class = filters.PathBlockFilter
    ordering_fields = ["path", "confirmed_at"]
    ordering = ["path", "block__order", "pk"]

    def get_queryset(self):
        return PathBlock.objects.filter(path__in=visible_paths(self.request.user)).select_related("block")

    @extend_schema(request=PositioningSerializer, responses=PathBlockSerializer(many=True))
    def create(self, request):
        serializer = PositioningSerializer(data=request.data)
        serializer.fields["path"].queryset = visible_paths(request.user)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        from cqp_portal.accounts.models import User

        trainers = {int(k): User.objects.filter(pk=v).first() for k, v in data.get("trainers", {}).items()}
        path = services.path_confirm_positioning(
            path=data["path"],
            by=request.user,
            plans={int(k): v for k, v in data["plans"].items()},
            planned_hours={int(k): v for k, v in data.get("planned_hours", {}).items()},
            trainers=trainers,
        )
        rows = self.get_queryset().filter(path=path)
        return Response(PathBlockSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AssessmentSerializer
    filterset_class = filters.AssessmentFilter
    ordering_fields = ["assessed_on", "created_at"]
    ordering = ["pk"]

    def get_queryset(self):
        qs = BlockAssessment.objects.prefetch_related("criterion_results")
        return qs.filter(path__in=visible_paths(self.request.user))

    @extend_schema(
        request={"application/json": AssessmentCreateSerializer, "multipart/form-data": AssessmentCreateSerializer},
        responses={201: AssessmentSerializer, 200: AssessmentSerializer},
        description=(
            "Records the assessment, its criteria and its optional evidence file in one transaction: on any "
            "error nothing is written. Sending the same assessment again answers 200 with the assessment "
            "already recorded (no duplicate, no superseded row)."
        ),
    )
    def create(self, request):
        serializer = AssessmentCreateSerializer(data=request.data)
        serializer.fields["path"].queryset = visible_paths(request.user)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["criterion_results"] = {int(k): v for k, v in data["criterion_results"].items()}
        assessment = services.assessment_record(by=request.user, **data)
        code = status.HTTP_200_OK if assessment.already_recorded else status.HTTP_201_CREATED
        return Response(AssessmentSerializer(assessment).data, status=code)


class EvidenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = EvidenceSerializer
    filterset_class = filters.EvidenceFilter
    ordering_fields = ["uploaded_at", "size"]
    ordering = ["-uploaded_at", "-pk"]

    def get_queryset(self):
        return policy.scope(self.request.user, Evidence)

    @extend_schema(request=EvidenceUploadSerializer, responses=EvidenceSerializer)
    def create(self, request):
        serializer = EvidenceUploadSerializer(data=request.data)
        serializer.fields["path"].queryset = visible_paths(request.user)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        evidence = services.evidence_upload(
            path=data["path"], by=request.user, uploaded_file=data["file"], kind=data["kind"], block=data.get("block")
        )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class ExperienceRecordViewSet(viewsets.ModelViewSet):
    """VAE experience records of visible paths. Written only by the path's candidate, before the
    admissibility request (POST /paths/{id}/transitions/request_admissibility/ then needs at
    least one record and one supporting document)."""

    serializer_class = ExperienceRecordSerializer
    ordering_fields = ["start_date", "created_at"]
    ordering = ["path", "-start_date", "pk"]
    filterset_class = filters.ExperienceRecordFilter

    def get_queryset(self):
        return ExperienceRecord.objects.filter(path__in=visible_paths(self.request.user)).prefetch_related("blocks")

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if not kwargs.get("many") and "path" in serializer.fields:
            serializer.fields["path"].queryset = visible_paths(self.request.user)
        return serializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.experience_record_save(by=self.request.user, **data)

    def perform_update(self, serializer):
        record = serializer.instance
        current = {
            "activity": record.activity,
            "status": record.status,
            "employer": record.employer,
            "start_date": record.start_date,
            "end_date": record.end_date,
            "duration_hours": record.duration_hours,
            "blocks": list(record.blocks.all()),
            "description": record.description,
        }
        data = current | dict(serializer.validated_data)
        data.pop("path", None)  # a record stays on its path
        serializer.instance = services.experience_record_save(
            path=record.path, by=self.request.user, record=record, **data
        )

    def perform_destroy(self, instance):
        services.experience_record_delete(record=instance, by=self.request.user)
