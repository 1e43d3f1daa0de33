from django.urls import path

from financing import views

app_name = "financing"

urlpatterns = [
    path("financeur/", views.funder_workspace, name="funder_workspace"),
    path("financement/parcours/<int:path_id>/", views.path_funding, name="path_funding"),
    path("financement/lignes/<int:line_id>/", views.funding_line_detail, name="line_detail"),
    path(
        "financement/lignes/<int:line_id>/<slug:name>/",
        views.funding_line_transition,
        name="line_transition",
    ),
    path("financement/rapports/", views.reports, name="reports"),
]
