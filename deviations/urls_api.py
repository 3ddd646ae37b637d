"""API routes of the deviations app (mounted under /api/)."""

from qms.api.routers import Router

from . import api

router = Router()
router.register("deviations/form-templates", api.FormTemplateViewSet, basename="deviation-form-template")

urlpatterns = router.urls
