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
