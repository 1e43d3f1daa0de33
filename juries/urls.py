from django.urls import path

from juries import views

app_name = "juries"

urlpatterns = [
    path("jury/", views.my_sessions, name="my_sessions"),
]
