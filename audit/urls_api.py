"""API routes of the audit app (mounted under /api/): /api/audit/... and /api/signatures/..."""

from qms.api.routers import Router

from . import api

router = Router()
router.register("audit", api.AuditEventViewSet, basename="audit-event")
router.register("signatures", api.SignatureViewSet, basename="signature")

urlpatterns = router.urls
