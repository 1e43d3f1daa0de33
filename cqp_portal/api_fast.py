"""Output of hot read serializers without DRF's per-field machinery, same JSON.

DRF's ``Serializer.to_representation`` walks every field of every row through
``get_attribute`` and ``to_representation`` with exception handling at each step. On the
paths list (100 paths × ~6 nested blocks) that was most of the server time once the SQL was
tuned (bench/RESULTS.md). ``FastReadMixin`` builds a read plan once per serializer: foreign
keys read from their ``*_id`` column (what DRF's pk-only optimisation reads too), plain
attributes through ``operator.attrgetter``, and the field's own ``to_representation`` for
non-null values, so dates, decimals and choices come out exactly as DRF writes them. Nested
serializers, dotted sources and method fields go through DRF unchanged.
``tests/api/test_fast_serializers.py`` compares both outputs.
"""

from operator import attrgetter

from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers
from rest_framework.fields import SkipField, is_simple_callable

_PLAIN = 0
_FOREIGN_KEY = 1
_DRF = 2


def _plan_entry(serializer, field) -> tuple:
    model = serializer.Meta.model
    if isinstance(field, serializers.PrimaryKeyRelatedField) and "." not in field.source:
        try:
            model_field = model._meta.get_field(field.source)
        except FieldDoesNotExist:
            model_field = None
        if model_field is not None and model_field.many_to_one:
            return (field.field_name, _FOREIGN_KEY, attrgetter(model_field.attname), field)
    if isinstance(field, serializers.BaseSerializer | serializers.ManyRelatedField | serializers.SerializerMethodField):
        return (field.field_name, _DRF, None, field)
    if field.source == "*" or "." in field.source:
        return (field.field_name, _DRF, None, field)
    return (field.field_name, _PLAIN, attrgetter(field.source), field)


class FastReadMixin:
    """For read-only ModelSerializers listed in bulk; see the module docstring."""

    def _read_plan(self) -> list[tuple]:
        plan = getattr(self, "_fast_read_plan", None)
        if plan is None:
            plan = [_plan_entry(self, field) for field in self._readable_fields]
            self._fast_read_plan = plan
        return plan

    def to_representation(self, instance):
        data = {}
        for name, kind, getter, field in self._read_plan():
            if kind == _DRF:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                data[name] = None if attribute is None else field.to_representation(attribute)
                continue
            value = getter(instance)
            if kind == _PLAIN and is_simple_callable(value):
                value = value()
            if kind == _FOREIGN_KEY or value is None:
                data[name] = value
            else:
                data[name] = field.to_representation(value)
        return data
