from rest_framework.routers import DefaultRouter

from certifications import api

router = DefaultRouter(trailing_slash=True)
router.register("branches", api.BranchViewSet, basename="branch")
router.register("certifications", api.CertificationViewSet, basename="certification")
router.register("referential-versions", api.ReferentialVersionViewSet, basename="referential-version")
router.register("habilitations", api.HabilitationViewSet, basename="habilitation")
router.register("equivalences", api.BlockEquivalenceViewSet, basename="equivalence")

urlpatterns = router.urls
