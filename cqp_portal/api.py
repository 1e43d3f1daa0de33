"""Shared REST pieces: pagination, the single error shape of every 4xx, the JSON 404 of
unknown API URLs and the filter helper that keeps filter values inside the caller's scope.
The OpenAPI side (error responses on every operation) is in cqp_portal.api_schema.

Error shape: ``{"code": "...", "message": "...", "fields": {"name": ["..."]}}``.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback
from rest_framework.views import exception_handler as drf_exception_handler

from cqp_portal.errors import DomainError, as_conflict, integrity_refusal


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class UnknownTransition(exceptions.NotFound):
    default_code = "unknown_transition"

    def __init__(self, name):
        from django.utils.translation import gettext

        super().__init__(gettext("Unknown transition: %(name)s.") % {"name": name})


def scoped(model):
    """Queryset callable for a django-filter ModelChoiceFilter: only objects the caller may
    see are accepted, so a filter value never reveals that a hidden object exists."""

    def queryset(request):
        from cqp_portal import policy

        user = getattr(request, "user", None)
        return policy.scope(user, model)

    return queryset


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference, in a request body, to an object the caller may see (the view sets the
    queryset to the policy scope). Unknown or outside the scope is a 404, as in the URL: the
    answer never tells whether a hidden object exists."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except exceptions.ValidationError as exc:
            if any(getattr(detail, "code", None) == "does_not_exist" for detail in exc.detail):
                raise exceptions.NotFound() from None
            raise


class NotFoundView(APIView):
    """Any unknown URL under /api/v1/ answers a JSON 404 in the standard shape, not an HTML page."""

    permission_classes = [AllowAny]
    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound()

    def get(self, request, *args, **kwargs):  # pragma: no cover - initial() always raises
        raise exceptions.NotFound()

    post = put = patch = delete = get


def exception_handler(exc, context):
    # A database guard's refusal (cqp_portal.dbguards) becomes its domain error, a 409.
    refusal = integrity_refusal(exc)
    if refusal is not None:
        exc = refusal
        set_rollback()
    # One answer for every state conflict of every object: 409 "conflict" (cqp_portal.errors).
    conflict = as_conflict(exc)
    if conflict is not None:
        exc = conflict
        set_rollback()
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "message": str(exc.message), "fields": {}}
        if exc.field:
            body["fields"][exc.field] = [str(exc.message)]
        if exc.details:
            body["details"] = [str(d) for d in exc.details]
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"code": "invalid", "message": str(_first_message(fields)), "fields": fields}
    else:
        detail = getattr(exc, "detail", "")
        code = detail.code if hasattr(detail, "code") else "error"
        response.data = {"code": code, "message": str(detail), "fields": {}}
    return response


def _first_message(fields):
    for value in fields.values():
        while isinstance(value, list | dict):
            if not value:
                break
            value = value[0] if isinstance(value, list) else next(iter(value.values()))
        return value
    return ""


__all__ = [
    "NotFoundView",
    "Pagination",
    "UnknownTransition",
    "VisibleRelatedField",
    "exception_handler",
    "scoped",
    "status",
]
