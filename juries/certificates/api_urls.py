from rest_framework.routers import DefaultRouter

from juries.certificates.api import CertificateViewSet

router = DefaultRouter(trailing_slash=True)
router.register("certificates", CertificateViewSet, basename="certificate")

urlpatterns = router.urls
