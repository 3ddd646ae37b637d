"""API routes of notifications and webhooks (mounted under /api/)."""

from qms.api.routers import Router

from . import api

router = Router()
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("webhooks", api.WebhookViewSet, basename="webhook")

urlpatterns = router.urls
