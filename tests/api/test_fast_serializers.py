"""The hot read serializers (cqp_portal.api_fast.FastReadMixin) write the same JSON as
DRF's own to_representation, field for field, including nulls, dates and nested rows."""

import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers

from candidates.models import Path, PathBlock
from candidates.serializers import PathBlockSerializer, PathSerializer
from tests.factories.candidates import PathFactory, plan_blocks
from tests.factories.certifications import published_version

pytestmark = pytest.mark.django_db


def drf_output(serializer_class, instance):
    """What plain DRF writes: the same fields through serializers.ModelSerializer's code."""
    serializer = serializer_class(instance)
    return serializers.ModelSerializer.to_representation(serializer, instance)


def test_paths_and_their_blocks_serialise_as_drf_does(evaluator):
    version = published_version(blocks=3)
    path = PathFactory(certification=version.certification, version=version, evaluator=evaluator)
    plan_blocks(path)
    row = path.path_blocks.first()
    row.confirmed_at = timezone.now()
    row.planned_hours = 35
    row.save()
    Path.objects.filter(pk=path.pk).update(start_date=datetime.date(2026, 3, 2))
    path = Path.objects.prefetch_related("path_blocks__block").get(pk=path.pk)

    fast = PathSerializer(path).data
    assert fast == drf_output(PathSerializer, path)
    assert fast["start_date"] == "2026-03-02" and fast["evaluator"] == evaluator.pk
    assert fast["workplace_tutor"] is None
    blocks = {b["id"]: b for b in fast["blocks"]}
    for pb in PathBlock.objects.filter(path=path).select_related("block"):
        assert blocks[pb.pk] == drf_output(PathBlockSerializer, pb)
    assert any(b["confirmed_at"] and b["planned_hours"] == 35 for b in blocks.values())
