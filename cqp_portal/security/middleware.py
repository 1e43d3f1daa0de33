"""Security headers and the "database unavailable" answer.

Django 5.2 has no built-in Content-Security-Policy: ``SecurityHeadersMiddleware`` adds one to
every response. Templates carry no inline script, no inline event handler and no style
attribute, so the policy allows only the portal's own files.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.html import escape
from django.utils.translation import gettext as _

from cqp_portal.errors import is_lock_conflict

logger = logging.getLogger(__name__)

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)

# Swagger UI (drf-spectacular's split view: its init script is a separate file, so scripts stay
# 'self') ships an inline <style> block and sets style attributes from its bundle. Only styles
# are relaxed, and only on this read-only documentation page, which shows no personal data.
CSP_API_DOCS = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
API_DOCS_PREFIX = "/api/docs/"

RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy (X-Frame-Options, nosniff, Referrer-Policy and COOP
    come from Django's own middlewares and settings)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = CSP_API_DOCS if request.path.startswith(API_DOCS_PREFIX) else CSP
            response["Content-Security-Policy"] = policy
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (with ``private, no-cache``) on every answer that may carry
    personal data: any page seen by a logged-in person, every API answer and every file
    download. Browsers and shared proxies then keep no copy (a shared computer's back button,
    a company proxy). Public pages for anonymous visitors (login, certificate verification)
    keep their own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.path.startswith("/api/")
            or response.has_header("Content-Disposition")
            or getattr(response, "streaming", False)
            or (user is not None and user.is_authenticated)
        ):
            add_never_cache_headers(response)
        return response


def database_unavailable_response(request) -> HttpResponse:
    """503 with Retry-After, French unless the API client asked otherwise; built without the
    database (no session, no user, no template context processors)."""
    path = getattr(request, "path", "") or ""
    with translation.override(None if path.startswith("/api/") else "fr"):
        title = _("Service temporarily unavailable")
        message = _(
            "The portal cannot reach its database for a moment. Nothing you saved is lost: try again in a minute."
        )
        if path.startswith("/api/") or "application/json" in request.META.get("HTTP_ACCEPT", ""):
            response = JsonResponse({"code": "service_unavailable", "message": message, "fields": {}}, status=503)
        else:
            page = (
                '<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                '<title>{title} — Portail CQP</title><link rel="stylesheet" href="{css}"></head>'
                '<body><main id="contenu" class="card"><h1>{title}</h1><p>{message}</p>'
                '<p><a href="{path}">{retry}</a></p></main></body></html>'
            ).format(
                lang=translation.get_language() or "fr",
                title=escape(title),
                message=escape(message),
                css=static("css/portal.css"),
                path=escape(path or "/"),
                retry=escape(_("Try again")),
            )
            response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A database outage (restart, failover, connection limit) answers 503 + Retry-After, not 500.

    ``process_exception`` covers the views; ``server_error`` (handler500) covers the
    middlewares that query before the view (session, user). The next request reconnects by
    itself: CONN_HEALTH_CHECKS drops the broken persistent connection.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_lock_conflict(exception):
            return None  # a row held by someone else: DomainErrorMiddleware shows it as a conflict
        if isinstance(exception, DATABASE_ERRORS):
            # The exception text may quote SQL parameters: log its class only.
            logger.warning("database unavailable (%s) on %s %s", type(exception).__name__, request.method, request.path)
            return database_unavailable_response(request)
        return None
