"""POST /api/ai/chat, /api/ai/generate, /api/ai/analyze; GET /api/ai/conversations/ (your own);
POST /api/deviations/suggest-severity."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from qms.api.lists import ListModelMixin
from qms.api.request_data import validated
from qms.api.schema import ErrorSerializer, error_responses
from qms.api.throttling import UserRateThrottle

from . import provider, services, severity
from .models import Conversation
from .serializers import (
    AnalyzeRequestSerializer,
    AnalyzeResponseSerializer,
    ChatMessageSerializer,
    ChatRequestSerializer,
    ChatResponseSerializer,
    ConversationDetailSerializer,
    ConversationSerializer,
    GenerateRequestSerializer,
    GenerateResponseSerializer,
    SuggestSeverityRequestSerializer,
    SuggestSeverityResponseSerializer,
)


class AIRateThrottle(UserRateThrottle):
    """AI_RATE_LIMIT calls per user (429 with Retry-After past it)."""

    scope = "ai"


AI_ERRORS = {
    **error_responses(401, 403, 422, 429),
    503: OpenApiResponse(ErrorSerializer, description="AI_DISABLED (no OPENAI_API_KEY) or AI_UNAVAILABLE (provider error)"),
    504: OpenApiResponse(ErrorSerializer, description="AI_UNAVAILABLE: the provider did not answer within AI_TIMEOUT_SECONDS"),
}


class _AIView(APIView):
    required_permissions = {"post": "ai.use"}
    throttle_classes = [UserRateThrottle, AIRateThrottle]


class ChatView(_AIView):
    @extend_schema(
        tags=["ai"],
        request=ChatRequestSerializer,
        responses={
            200: ChatResponseSerializer,
            404: OpenApiResponse(ErrorSerializer, description="Unknown or hidden document, or not your conversation"),
            **AI_ERRORS,
        },
        description="Answers grounded in the given documents (passages of the version you may read), or in the best "
        "search hits you may read when none are given; cites them. The conversation is kept for you "
        "(conversation_id continues it). Sent to the provider: your message, the last messages of the conversation "
        "and the cited passages. Audited without the text.",
    )
    def post(self, request):
        data = validated(ChatRequestSerializer, request)
        outcome = services.chat(
            actor=request.user,
            message=data["message"],
            context_documents=data["context_documents"],
            conversation_id=data.get("conversation_id"),
        )
        return Response(
            {
                "conversation_id": outcome.conversation.pk,
                "message": ChatMessageSerializer(outcome.message).data,
                "citations": outcome.citations,
                "suggestion": True,
                "notice": services.NOTICE,
            }
        )


class GenerateView(_AIView):
    @extend_schema(
        tags=["ai"],
        request=GenerateRequestSerializer,
        responses={200: GenerateResponseSerializer, **AI_ERRORS},
        description="Draft content (report, summary, SOP outline) as Markdown. With save_as_draft=true (needs "
        "documents.create) it becomes a new draft document of the type named by document_type, created through "
        "the document services, so it goes through review and approval like any draft.",
    )
    def post(self, request):
        data = validated(GenerateRequestSerializer, request)
        outcome = services.generate(actor=request.user, **data)
        return Response(
            {
                "content": outcome.content,
                "content_type": "text/markdown",
                "model": outcome.model,
                "document_id": outcome.document.pk if outcome.document else None,
                "document_number": outcome.document.number if outcome.document else None,
                "suggestion": True,
                "notice": services.NOTICE,
            }
        )


class AnalyzeView(_AIView):
    @extend_schema(
        tags=["ai"],
        request=AnalyzeRequestSerializer,
        responses={
            200: AnalyzeResponseSerializer,
            404: OpenApiResponse(ErrorSerializer, description="Unknown or hidden document"),
            409: OpenApiResponse(ErrorSerializer, description="NO_TEXT: the document has no extracted text"),
            **AI_ERRORS,
        },
        description="Findings (finding, severity, location, excerpt) over the extracted text of the version you "
        "may read; texts longer than AI_CONTEXT_CHARS are analysed part by part and the findings merged.",
    )
    def post(self, request):
        data = validated(AnalyzeRequestSerializer, request)
        outcome = services.analyze(actor=request.user, document_id=data["document_id"], instructions=data["instructions"])
        return Response(
            {
                "document_id": outcome.document.pk,
                "number": outcome.document.number,
                "version": outcome.version,
                "findings": outcome.findings,
                "parts": outcome.parts,
                "model": outcome.model,
                "suggestion": True,
                "notice": services.NOTICE,
            }
        )


@extend_schema(tags=["ai"])
class ConversationViewSet(ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ConversationSerializer
    required_permissions = {"list": "ai.use", "retrieve": "ai.use"}
    sort_fields = ["updated_at", "created_at"]
    default_sort = ["-updated_at", "-pk"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Conversation.objects.none()
        return Conversation.objects.filter(user=self.request.user)

    @extend_schema(responses={200: ConversationSerializer(many=True), **error_responses(401, 403, 422)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: ConversationDetailSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request, pk=None):
        conversation = get_object_or_404(self.get_queryset().prefetch_related("messages"), pk=pk)
        return Response(ConversationDetailSerializer(conversation).data)


class SuggestionThrottle(AIRateThrottle):
    """The AI rate limit, counted only while the AI assistant answers (the offline method is not limited)."""

    def allow_request(self, request, view):
        if not provider.enabled():
            return True
        return super().allow_request(request, view)


class SuggestSeverityView(APIView):
    required_permissions = {"post": ("deviations.create", "deviations.edit")}
    throttle_classes = [UserRateThrottle, SuggestionThrottle]

    @extend_schema(
        tags=["deviations"],
        operation_id="deviations_suggest_severity",
        request=SuggestSeverityRequestSerializer,
        responses={
            200: SuggestSeverityResponseSerializer,
            **error_responses(401, 403, 422, 429),
            503: OpenApiResponse(
                ErrorSerializer, description="SUGGESTION_UNAVAILABLE: the search index is unreachable and the AI is off"
            ),
        },
        description="A severity for a deviation's description, as a suggestion for the reporter (kept as "
        "severity_suggestion beside the severity they choose). With the AI assistant configured (and ai.use) the "
        "provider answers in a JSON schema (method llm; only the description is sent); an invalid answer or an "
        "unavailable provider falls back to the offline method: a weighted vote of the most similar closed "
        "deviations (method similar_history) with a calibrated confidence.",
    )
    def post(self, request):
        data = validated(SuggestSeverityRequestSerializer, request)
        suggestion = severity.suggest_severity(actor=request.user, description=data["description"])
        return Response(SuggestSeverityResponseSerializer(suggestion.as_dict()).data)
