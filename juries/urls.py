from django.urls import path

from juries import views

app_name = "juries"

urlpatterns = [
    path("jury/", views.my_sessions, name="my_sessions"),
    path("jury/planification/", views.planning, name="planning"),
    path("jury/echeances/", views.deadlines, name="deadlines"),
    path("jury/sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("jury/sessions/<int:pk>/membres/", views.member_add, name="member_add"),
    path("jury/sessions/<int:pk>/membres/<int:member_pk>/retirer/", views.member_remove, name="member_remove"),
    path("jury/sessions/<int:pk>/membres/<int:member_pk>/presence/", views.member_presence, name="member_presence"),
    path("jury/sessions/<int:pk>/liens/", views.link_declare, name="link_declare"),
    path("jury/sessions/<int:pk>/dossiers/", views.dossier_add, name="dossier_add"),
    path("jury/sessions/<int:pk>/dossiers/<int:dossier_pk>/", views.dossier_detail, name="dossier_detail"),
    path("jury/sessions/<int:pk>/dossiers/<int:dossier_pk>/retirer/", views.dossier_remove, name="dossier_remove"),
    path(
        "jury/sessions/<int:pk>/dossiers/<int:dossier_pk>/pieces/<int:evidence_pk>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path("jury/sessions/<int:pk>/grille/", views.grid, name="grid"),
    path("jury/sessions/<int:pk>/grille/<int:decision_pk>/", views.grid_row_save, name="grid_row_save"),
    path("jury/sessions/<int:pk>/cloture/", views.close, name="close"),
    path("jury/sessions/<int:pk>/pv/", views.minutes_download, name="minutes"),
    path("jury/sessions/<int:pk>/pv/approuver/", views.approve_minutes, name="approve_minutes"),
    path("jury/sessions/<int:pk>/vice-president/", views.set_vice_president, name="set_vice_president"),
    path("jury/sessions/<int:pk>/<slug:action>/", views.session_action, name="session_action"),
    path("jury/decisions/<int:pk>/", views.decision_detail, name="decision_detail"),
    path("jury/decisions/<int:pk>/correction/", views.decision_correct, name="decision_correct"),
    path("jury/decisions/<int:pk>/recours/", views.appeal_file, name="appeal_file"),
    path("jury/recours/<int:pk>/decision/", views.appeal_decide, name="appeal_decide"),
]
