"""GET /api/search/: hybrid (semantic + keyword), permission-aware search; GET /api/search/status;
GET /api/deviations/similar."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from qms.api.exceptions import RequestValidationError
from qms.api.schema import ErrorSerializer, error_responses
from qms.errors import DomainError

from . import deviation_helpers, selectors, vectorstore
from .embedding import EmbeddingUnavailable
from .error_codes import ErrorCode
from .serializers import (
    IndexStatusSerializer,
    SearchQuerySerializer,
    SearchResultSerializer,
    SimilarDeviationsSerializer,
    SimilarQuerySerializer,
)


class SemanticSearchUnavailable(DomainError):
    status_code = 503
    error_code = ErrorCode.SEMANTIC_SEARCH_UNAVAILABLE
    default_detail = "Similarity needs the vector store, which is unreachable; try again later."


def result_body(result: selectors.SearchResult) -> dict:
    return SearchResultSerializer(
        {
            "items": result.items,
            "page": result.page,
            "page_size": result.page_size,
            "total": result.total,
            "pages": result.pages,
            "query": result.query,
            "semantic": result.semantic,
        }
    ).data


class SearchView(APIView):
    required_permissions = {"get": "search.use"}

    @extend_schema(
        tags=["search"],
        parameters=[SearchQuerySerializer],
        responses={200: SearchResultSerializer, **error_responses(401, 403, 422, 429)},
        description="Hybrid search: semantic (the offline embedding model over Chroma) and keyword (PostgreSQL "
        "full-text) results fused by reciprocal rank. Only records the caller may view are searched, listed and "
        "counted (a User sees effective documents only, and only their effective version). Each hit carries the "
        "matching passage with <mark> highlights (HTML-escaped) and its page where known. When the vector store "
        "is unreachable the keyword results come back with `semantic: false`. An empty `q` is 422.",
    )
    def get(self, request):
        params = SearchQuerySerializer(data=request.query_params)
        if not params.is_valid():
            raise RequestValidationError(params.errors)
        data = params.validated_data
        result = selectors.search(
            user=request.user,
            query=data["q"],
            types=data.get("type") or None,
            filters=params.filters(),
            page=data["page"],
            page_size=data["page_size"],
        )
        return Response(result_body(result))


class SearchStatusView(APIView):
    required_permissions = {"get": "system.admin"}

    @extend_schema(
        tags=["search"],
        parameters=[OpenApiParameter("type", str, description="One record type (default: all)")],
        responses={200: IndexStatusSerializer(many=True), **error_responses(401, 403)},
        description="Per record type: records, indexed, pending and failed counts, chunks, vectors in the store and "
        "the lag (age of the oldest record waiting to be indexed). Administrators only.",
    )
    def get(self, request):
        return Response(IndexStatusSerializer(selectors.status(resource_type=request.query_params.get("type")), many=True).data)


class SimilarDeviationsView(APIView):
    required_permissions = {"get": ("deviations.view", "deviations.create")}

    @extend_schema(
        tags=["deviations"],
        operation_id="deviations_similar",
        parameters=[SimilarQuerySerializer],
        responses={
            200: SimilarDeviationsSerializer,
            **error_responses(401, 403, 422, 429),
            404: OpenApiResponse(ErrorSerializer, description="deviation_id unknown or not visible to you"),
            503: OpenApiResponse(ErrorSerializer, description="SEMANTIC_SEARCH_UNAVAILABLE: the vector store is unreachable"),
        },
        description="Earlier deviations most similar to a description (or to deviation_id, which is left out), best "
        "first, with the cosine similarity of their best-matching passage. Only deviations you may see: reporters "
        "their own, holders of deviations.view all.",
    )
    def get(self, request):
        params = SimilarQuerySerializer(data=request.query_params)
        if not params.is_valid():
            raise RequestValidationError(params.errors)
        data = params.validated_data
        try:
            found = deviation_helpers.similar_deviations(
                actor=request.user,
                description=data.get("description"),
                deviation_id=data.get("deviation_id"),
                limit=data["limit"],
            )
        except (vectorstore.VectorStoreUnavailable, EmbeddingUnavailable) as exc:
            raise SemanticSearchUnavailable() from exc
        return Response(SimilarDeviationsSerializer({"items": found, "total": len(found)}).data)
