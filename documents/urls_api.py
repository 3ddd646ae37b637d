"""API routes of the documents app (mounted under /api/)."""

from qms.api.routers import Router

from . import api

router = Router()
router.register("documents", api.DocumentViewSet, basename="document")
router.register("document-types", api.DocumentTypeViewSet, basename="document-type")
router.register("templates", api.DocumentTemplateViewSet, basename="document-template")

urlpatterns = router.urls
