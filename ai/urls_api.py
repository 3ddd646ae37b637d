"""API routes of the AI assistant (mounted under /api/)."""

from django.urls import re_path

from qms.api.routers import Router

from . import api

router = Router()
router.register("ai/conversations", api.ConversationViewSet, basename="ai-conversation")

urlpatterns = [
    re_path(r"^ai/chat/?$", api.ChatView.as_view(), name="ai-chat"),
    re_path(r"^ai/generate/?$", api.GenerateView.as_view(), name="ai-generate"),
    re_path(r"^ai/analyze/?$", api.AnalyzeView.as_view(), name="ai-analyze"),
    # A deviation helper served by the assistant (the deviations app does not depend on it).
    re_path(r"^deviations/suggest-severity/?$", api.SuggestSeverityView.as_view(), name="deviation-suggest-severity"),
    *router.urls,
]
