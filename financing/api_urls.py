from rest_framework.routers import DefaultRouter

from financing.api import FundingLineViewSet

router = DefaultRouter(trailing_slash=True)
router.register("funding-lines", FundingLineViewSet, basename="funding-line")

urlpatterns = router.urls
