from django.urls import path

from financing import views

app_name = "financing"

urlpatterns = [
    path("financeur/", views.funder_workspace, name="funder_workspace"),
]
