from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cqp_portal import health, views
from cqp_portal.accounts import mfa_views, token_views
from cqp_portal.accounts.forms import EmailAuthenticationForm

admin.site.site_header = "Portail CQP"
# A database outage raised before the view (session, user lookup) is a 503, not a 500.
handler500 = "cqp_portal.security.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("espace/", views.workspace, name="workspace"),
    path("espace/aucun-role/", views.no_role, name="no_role"),
    path(
        "connexion/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("connexion/2fa/", mfa_views.verify, name="mfa_verify"),
    path("connexion/2fa/configuration/", mfa_views.setup, name="mfa_setup"),
    path("compte/jetons/", token_views.access_tokens, name="access_tokens"),
    path("compte/jetons/<int:pk>/revoquer/", token_views.revoke_access_token, name="access_token_revoke"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/oublie/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/envoye/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("mot-de-passe/change/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.healthz, name="healthz"),
    path("livez", health.livez, name="livez"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("cqp_portal.api_urls")),
    path("branche/statistiques/", include("cqp_portal.statistics.urls")),
    path("", include("certifications.urls")),
    path("", include("candidates.urls")),
    path("", include("juries.certificates.urls")),
    path("", include("juries.urls")),
    path("", include("financing.urls")),
]

if settings.DEBUG:
    pass  # media is never served directly: downloads go through permission-checked views
