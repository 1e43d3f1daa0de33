from rest_framework.routers import DefaultRouter

from juries import api

router = DefaultRouter(trailing_slash=True)
router.register("jury-sessions", api.JurySessionViewSet, basename="jury-session")
router.register("jury-members", api.JuryMemberViewSet, basename="jury-member")
router.register("jury-dossiers", api.DossierViewSet, basename="jury-dossier")
router.register("jury-decisions", api.DecisionViewSet, basename="jury-decision")

urlpatterns = router.urls
