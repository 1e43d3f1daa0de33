from rest_framework.routers import DefaultRouter

from candidates import api

router = DefaultRouter(trailing_slash=True)
router.register("candidates", api.CandidateViewSet, basename="candidate")
router.register("paths", api.PathViewSet, basename="path")
router.register("positionings", api.PositioningViewSet, basename="positioning")
router.register("assessments", api.AssessmentViewSet, basename="assessment")
router.register("evidence", api.EvidenceViewSet, basename="evidence")
router.register("experience-records", api.ExperienceRecordViewSet, basename="experience-record")

urlpatterns = router.urls
