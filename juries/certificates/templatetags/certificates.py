"""Inclusion tags other apps' pages use to show certificates without knowing this app:

{% load certificates %}
{% session_certificates_progress session %}   (jury session page)
{% path_certificates path %}                   ("Mon parcours", one path)
"""

from django import template

from cqp_portal import policy
from juries.certificates import selectors

register = template.Library()


@register.inclusion_tag("certificates/includes/session_progress.html", takes_context=True)
def session_certificates_progress(context, session):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "session": session,
        "certificate_progress": selectors.session_progress(session),
        "may_retry": bool(user) and policy.allowed(user, "certificate.retry", session),
    }


@register.inclusion_tag("certificates/includes/path_certificates.html", takes_context=True)
def path_certificates(context, path):
    return {"request": context.get("request"), "path": path, "certificates": selectors.path_certificates(path)}
