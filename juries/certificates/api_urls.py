from django.urls import path
from rest_framework.routers import DefaultRouter

from juries.certificates.api import CertificateViewSet
from juries.certificates.verify_upload import VerifyUploadView

router = DefaultRouter(trailing_slash=True)
router.register("certificates", CertificateViewSet, basename="certificate")

urlpatterns = [path("verify/", VerifyUploadView.as_view(), name="verify-pdf"), *router.urls]
