"""Every REST endpoint lives under /api/v1/; each app brings its router in api_urls.py."""

from django.urls import include, path, re_path

from cqp_portal.accounts.api import TokenView
from cqp_portal.accounts.api_me import MeView
from cqp_portal.api import NotFoundView

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("", include("certifications.api_urls")),
    path("", include("candidates.api_urls")),
    path("", include("juries.api_urls")),
    path("", include("juries.certificates.api_urls")),
    path("", include("financing.api_urls")),
]

# Last: any other URL under /api/v1/ is a JSON 404 in the standard error shape.
urlpatterns.append(re_path(r"^.*$", NotFoundView.as_view()))
