"""The project's URLs plus one view that fails, to render the 500 page as production does."""

from django.urls import path

from cqp_portal.urls import handler500
from cqp_portal.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("test-erreur/", boom), *project_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
