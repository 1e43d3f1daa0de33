import sys

from django.views.defaults import server_error as django_server_error

from cqp_portal.security.middleware import DATABASE_ERRORS, database_unavailable_response


def server_error(request, template_name="500.html"):
    """handler500: a database outage raised outside a view (session or user lookup in a
    middleware) is still a 503 with Retry-After."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_ERRORS) or isinstance(getattr(exception, "__cause__", None), DATABASE_ERRORS):
        return database_unavailable_response(request)
    return django_server_error(request, template_name)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the portal's page (French unless the person chose English), with what
    to do; the API answers in its JSON error shape. ``reason`` is for logs, not for people."""
    from django.http import JsonResponse
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    message = _("Your form has expired or was sent from another site. Reload the page and send it again.")
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "csrf_failed", "message": message, "fields": {}}, status=403)
    return render(request, "403_csrf.html", {"message": message}, status=403)
