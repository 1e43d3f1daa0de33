"""OpenAPI pieces shared by every app: the error body, the schema class that documents the
standard error responses on every operation (set as DEFAULT_SCHEMA_CLASS, so no endpoint can
forget them) and the enum parameter of transition actions.

Kept apart from cqp_portal.api: DRF imports the pagination class from there while it is
still loading, and drf_spectacular.openapi imports DRF's generics (a circular import).
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer of the API."""

    def get_fields(self):
        # Declared here: a class attribute named "fields" would shadow Serializer.fields.
        return {
            "code": serializers.CharField(help_text="Stable machine-readable code (invalid, not_found, conflict...)."),
            "message": serializers.CharField(help_text="Human-readable message, in the language of Accept-Language."),
            "fields": serializers.DictField(
                child=serializers.JSONField(),
                help_text="Validation errors by field name: a list of messages (nested for nested input).",
            ),
            "details": serializers.ListField(child=serializers.CharField(), required=False),
        }


# Plain strings: the committed schema file must not depend on the active language.
ERROR_DESCRIPTIONS = {
    "400": "Invalid input (field errors) or a business rule refused the request.",
    "401": "Missing or invalid credentials.",
    "403": "The object is visible but this action is not allowed to you.",
    "404": "Not found, or outside what you may see.",
    "409": "Someone else changed this record at the same time.",
    "429": "Too many requests: wait and try again.",
}


class AutoSchema(SpectacularAutoSchema):
    """Adds the standard error responses to every operation, so no endpoint forgets them.

    400 where input is read (a body, or query parameters: filters, ordering, page), 401 and 403
    everywhere, 404 everywhere (objects outside the scope, unknown transition, page out of
    range), 409 on writes (concurrent transitions), 429 on throttled views.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["401", "403", "404"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["400", "409"]
        elif self._is_list_view() or self.get_filter_backends():
            codes.append("400")
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        for code in sorted(codes):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]), code
                )
        return dict(sorted(responses.items()))


def transition_parameter(transitions, description):
    """The ``{name}`` path parameter of a transitions action, documented as an enum."""
    return OpenApiParameter(
        "name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(transitions), description=description
    )
