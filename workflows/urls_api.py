"""API routes of the workflow engine (mounted under /api/)."""

from qms.api.routers import Router

from . import api

router = Router()
router.register("workflow-templates", api.WorkflowTemplateViewSet, basename="workflow-template")

urlpatterns = router.urls
