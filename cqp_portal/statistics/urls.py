from django.urls import path

from cqp_portal.statistics import views

app_name = "statistics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("renouvellement/", views.renewal_export, name="renewal_export"),
]
