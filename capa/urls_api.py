"""API routes of the CAPA app (mounted under /api/)."""

from qms.api.routers import Router

from . import api

router = Router()
router.register("capa", api.CapaViewSet, basename="capa")

urlpatterns = router.urls
