"""Shared REST pieces: pagination and the single error shape of every 4xx.

Error shape: ``{"code": "...", "message": "...", "fields": {"name": ["..."]}}``.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cqp_portal.errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def exception_handler(exc, context):
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


__all__ = ["Pagination", "exception_handler", "status"]
