from django.urls import path

from certifications import views

app_name = "certifications"

urlpatterns = [
    path("branche/", views.workspace, name="workspace"),
    path("branche/certifications/<int:pk>/", views.certification_detail, name="certification"),
    path("branche/certifications/<int:pk>/nouvelle-version/", views.version_new, name="version_new"),
    path("branche/certifications/<int:pk>/habilitations/", views.habilitations, name="habilitations"),
    path("branche/certifications/<int:pk>/equivalences/", views.equivalences, name="equivalences"),
    path("branche/versions/<int:pk>/", views.version_detail, name="version"),
    path("branche/versions/<int:pk>/publier/", views.version_publish, name="version_publish"),
    path("branche/versions/<int:pk>/retirer/", views.version_retire, name="version_retire"),
    path("branche/versions/<int:pk>/supprimer/", views.version_delete, name="version_delete"),
    path("branche/versions/<int:pk>/comparer/", views.version_diff, name="version_diff"),
    path("branche/versions/<int:pk>/export.json", views.version_export, name="version_export"),
    path("branche/versions/<int:pk>/activites/", views.activities_edit, name="activities"),
    path("branche/versions/<int:version_pk>/blocs/nouveau/", views.block_edit, name="block_add"),
    path("branche/versions/<int:version_pk>/blocs/<int:block_pk>/", views.block_edit, name="block_edit"),
    path("branche/blocs/<int:pk>/supprimer/", views.block_remove, name="block_remove"),
    path("branche/blocs/<int:pk>/<str:direction>/deplacer/", views.block_move, name="block_move"),
    path("branche/habilitations/<int:pk>/fin/", views.habilitation_end, name="habilitation_end"),
    path("branche/equivalences/<int:pk>/supprimer/", views.equivalence_remove, name="equivalence_remove"),
    path("branche/import/", views.import_upload, name="import"),
    path("branche/import/<int:pk>/", views.import_job, name="import_job"),
    path("branche/import/<int:pk>/progression.json", views.import_job_progress, name="import_progress"),
]
