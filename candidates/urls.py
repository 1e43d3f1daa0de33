from django.urls import path

from candidates import views, views_admissibility

app_name = "candidates"

urlpatterns = [
    path("parcours/", views.my_paths, name="my_paths"),
    path("parcours/inscription/", views.signup, name="signup"),
    path("parcours/nouveau/", views.enrol, name="enrol"),
    path("parcours/mes-donnees.zip", views.gdpr_export, name="gdpr_export"),
    path("candidats/<int:pk>/anonymiser/", views.gdpr_anonymise, name="gdpr_anonymise"),
    path("parcours/<int:pk>/auto-positionnement/", views.self_assessment, name="self_assessment"),
    path("parcours/<int:pk>/pieces/", views.evidence_upload, name="evidence_upload"),
    path("parcours/<int:pk>/experience/", views_admissibility.experience, name="experience"),
    path("parcours/<int:pk>/experience/<int:record_pk>/", views_admissibility.experience_edit, name="experience_edit"),
    path(
        "parcours/<int:pk>/experience/<int:record_pk>/supprimer/",
        views_admissibility.experience_delete,
        name="experience_delete",
    ),
    path("parcours/<int:pk>/recevabilite/", views_admissibility.admissibility_request, name="admissibility_request"),
    path("branche/recevabilite-vae/", views_admissibility.admissibility_requests, name="admissibility_requests"),
    path("dossiers/<int:pk>/formation/", views.course_start, name="course_start"),
    path("dossiers/<int:pk>/formation/avancement/", views.course_progress, name="course_progress"),
    path("pieces/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("evaluations/", views.worklist, name="worklist"),
    path("dossiers/<int:pk>/", views.path_detail, name="path_detail"),
    path("dossiers/<int:pk>/etape/<str:name>/", views.path_transition, name="path_transition"),
    path("dossiers/<int:pk>/positionnement/", views.path_positioning, name="path_positioning"),
    path("dossiers/<int:pk>/affectation/", views.path_assign, name="path_assign"),
    path("dossiers/<int:pk>/blocs/<int:block_pk>/evaluation/", views.assessment_create, name="assessment_create"),
    path("organisme/", views.provider_paths, name="provider_paths"),
    path("organisme/candidats/nouveau/", views.candidate_create, name="candidate_create"),
    path("candidats/<int:pk>/identite/", views.candidate_identity, name="candidate_identity"),
    path("organisme/candidats/import/", views.candidate_import, name="candidate_import"),
    path("organisme/parcours/nouveau/", views.path_create, name="path_create"),
]
