"""API routes of the deviations app (mounted under /api/)."""

from qms.api.routers import Router

from . import api

router = Router()
router.register("deviations/form-templates", api.FormTemplateViewSet, basename="deviation-form-template")
router.register("deviations", api.DeviationViewSet, basename="deviation")

urlpatterns = router.urls
