from django.urls import path

from candidates import views

app_name = "candidates"

urlpatterns = [
    path("parcours/", views.my_paths, name="my_paths"),
    path("evaluations/", views.worklist, name="worklist"),
    path("organisme/", views.provider_paths, name="provider_paths"),
]
