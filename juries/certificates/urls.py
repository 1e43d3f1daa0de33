from django.urls import path, re_path

from juries.certificates import public_keys, verify_upload, views, views_cdc

app_name = "certificates"

CODE = r"(?P<code>[A-Za-z0-9_-]{16,64})"

urlpatterns = [
    # Public: verification by upload, the issuer's keys and the badges' status lists.
    path("verify/", verify_upload.verify_upload_page, name="verify_upload"),
    path(".well-known/did.json", public_keys.did_document, name="did_document"),
    path("credentials/status/<int:list_number>/", public_keys.status_list, name="status_list"),
    # Public, no login (the code is the secret). The JSON route comes first: a code has no dot.
    re_path(rf"^verify/{CODE}\.json$", views.verify_json, name="verify_json"),
    re_path(rf"^verify/{CODE}/$", views.verify, name="verify"),
    re_path(rf"^verify/{CODE}/badge\.json$", views.badge, name="badge"),
    re_path(rf"^verify/{CODE}/blocks/(?P<block_id>[0-9]+)/badge\.json$", views.block_badge, name="block_badge"),
    re_path(rf"^verify/{CODE}/badge\.jwt$", views.badge_jwt, name="badge_jwt"),
    re_path(rf"^verify/{CODE}/blocks/(?P<block_id>[0-9]+)/badge\.jwt$", views.block_badge_jwt, name="block_badge_jwt"),
    path("certificats/", views.register, name="register"),
    path("certificats/revoquer/", views.bulk_revoke, name="bulk_revoke"),
    path("certificats/<int:pk>/", views.detail, name="detail"),
    path("certificats/<int:pk>/pdf/", views.download, name="download"),
    path("certificats/<int:pk>/revoquer/", views.revoke, name="revoke"),
    path("certificats/<int:pk>/reemettre/", views.reissue, name="reissue"),
    path(
        "certificats/session/<int:session_id>/progression.json",
        views.session_progress_json,
        name="session_progress_json",
    ),
    path("certificats/session/<int:session_id>/progression/", views.session_progress_fragment, name="session_progress"),
    path("certificats/session/<int:session_id>/relancer/", views.session_retry, name="session_retry"),
    path("certificats/cdc/", views.cdc_board, name="cdc_board"),
    path("certificats/cdc/exporter/", views.cdc_export, name="cdc_export"),
    path("certificats/cdc/verification/", views_cdc.cdc_check, name="cdc_check"),
    path("certificats/cdc/rapports/importer/", views_cdc.cdc_report_upload, name="cdc_report_upload"),
    path("certificats/<int:pk>/cdc/redeposer/", views_cdc.cdc_redeposit, name="cdc_redeposit"),
    path("certificats/cdc/<int:pk>/", views.cdc_download, name="cdc_download"),
    path("certificats/cdc/exports/<int:pk>/", views.cdc_job, name="cdc_job"),
    path("certificats/cdc/exports/<int:pk>/progression/", views.cdc_job_progress, name="cdc_job_progress"),
]
