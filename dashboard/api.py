"""The dashboard API (dashboard.view): the caller's work lists and the quality KPIs. Read-only."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from qms.api.exceptions import RequestValidationError
from qms.api.schema import error_responses

from . import selectors
from .serializers import (
    DeadlinesQuerySerializer,
    ListQuerySerializer,
    ScopedListQuerySerializer,
    StatsQuerySerializer,
    StatsSerializer,
    WorkListSerializer,
)


def query(serializer_class, request) -> dict:
    params = serializer_class(data=request.query_params, context={"user": request.user})
    if not params.is_valid():
        raise RequestValidationError(params.errors)
    return params.validated_data


def work_list_view(list_name: str, query_serializer, description: str) -> type[APIView]:
    """The read-only view of one of the dashboard's work lists (dashboard.selectors.LISTS)."""

    class WorkListView(APIView):
        required_permissions = {"get": "dashboard.view"}

        @extend_schema(
            tags=["dashboard"],
            parameters=[query_serializer],
            responses={200: WorkListSerializer, **error_responses(401, 403, 422, 429)},
            description=description
            + " Rows are sorted by due date (soonest first, undated last); `counts` gives the total per item type. "
            "Only records the caller may view are listed.",
        )
        def get(self, request):
            params = query(query_serializer, request)
            return Response(WorkListSerializer.of(selectors.work_list(list_name, request.user, **params)))

    WorkListView.__name__ = WorkListView.__qualname__ = "".join(p.title() for p in list_name.split("_")) + "View"
    return WorkListView


AssignedItemsView = work_list_view(
    "assigned",
    ListQuerySerializer,
    "The caller's open work: training assignments to complete, deviations they own (investigate) and CAPAs "
    "and CAPA actions they own, each with type, id, number, title, due date, status and link.",
)
PendingApprovalsView = work_list_view(
    "pending_approvals",
    ListQuerySerializer,
    "Documents, deviations and draft CAPAs waiting for an approval the caller can give now under the workflow "
    "rules (they hold the approve permission, match an approval rule that still needs approvers, have not "
    "approved in this round and are not the author unless the state allows it). Each row carries the training "
    "gate: `can_approve` false with `missing_training` when a qualification requirement still stops the caller.",
)
OverdueItemsView = work_list_view(
    "overdue",
    ScopedListQuerySerializer,
    "Open items past their due date: training assignments, deviations, CAPAs and CAPA actions, and effective "
    "documents past their periodic review date (`mine=true`: only the caller's).",
)
ApproachingDeadlinesView = work_list_view(
    "due_soon",
    DeadlinesQuerySerializer,
    "Open items due from now until `hours` (default 24) from now: training assignments, deviations, CAPAs and "
    "CAPA actions, and periodic document reviews. Due dates are days: an item counts when its due day falls "
    "from today to the day the window reaches (`mine=true`: only the caller's).",
)


class StatsView(APIView):
    required_permissions = {"get": "dashboard.view"}

    @extend_schema(
        tags=["dashboard"],
        parameters=[StatsQuerySerializer],
        responses={200: StatsSerializer, **error_responses(401, 403, 422, 429)},
        description="Quality KPIs, counting only records the caller may view. Period figures (per month, closures, "
        "days to close, on-time closure and effectiveness rates) use `date_from`..`date_to` (default: the twelve "
        "months up to today); snapshot figures (by status, open, overdue, compliance) are as of now. `group_id` "
        "keeps the work of that group's members: documents, deviations and CAPAs they own, training they are "
        "assigned. Training compliance: person × program pairs with a non-cancelled assignment whose person is "
        "qualified now (valid completion of the current document version).",
    )
    def get(self, request):
        params = query(StatsQuerySerializer, request)
        return Response(StatsSerializer(selectors.stats(request.user, **params)).data)
