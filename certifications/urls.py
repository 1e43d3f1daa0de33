from django.urls import path

from certifications import views

app_name = "certifications"

urlpatterns = [
    path("branche/", views.workspace, name="workspace"),
]
