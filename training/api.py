"""REST endpoints of the training app (under /api/training/): programs, assignment (single and bulk),
my training, completion with e-signature, assignments, completions and their revocation,
registrations, and the training matrix with its CSV export."""

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.models import Group, User
from qms.api.exceptions import RequestValidationError
from qms.api.filters import QueryFilterBackend
from qms.api.lists import ListModelMixin
from qms.api.pagination import EnvelopePagination
from qms.api.request_data import REASON_QUERY_PARAMETER, pop_reason_and_row_version, reason_from, validated
from qms.api.schema import error_responses
from qms.api.sorting import SortFilter
from qms.errors import InvalidInput, NotFound, PermissionDenied

from . import selectors, services
from .filters import AssignmentFilter, ProgramFilter, RegistrationFilter
from .models import Assignment, Completion, Registration, TrainingProgram
from .serializers import (
    AssignmentSerializer,
    AssignOutcomeSerializer,
    AssignRequestSerializer,
    BulkAssignOutcomeSerializer,
    BulkAssignRequestSerializer,
    CompleteRequestSerializer,
    CompletionSerializer,
    DeleteOutcomeSerializer,
    MatrixQuerySerializer,
    MatrixSerializer,
    MessageSerializer,
    ProgramSerializer,
    ProgramUpdateSerializer,
    ProgramWriteSerializer,
    RegisterRequestSerializer,
    RegistrationSerializer,
    RegistrationUpdateOutcomeSerializer,
    RegistrationUpdateSerializer,
    RequiredReasonSerializer,
)


def _program(user, pk) -> TrainingProgram:
    program = selectors.program_list(user).filter(pk=pk).first()
    if program is None:
        raise NotFound("Training program not found.")
    return program


def _program_response(program, request, status_code=status.HTTP_200_OK) -> Response:
    program = selectors.program_list(request.user).get(pk=program.pk)
    response = Response(ProgramSerializer(program).data, status=status_code)
    response["ETag"] = f'"{program.row_version}"'
    return response


def _assignment_rows(assignments) -> list:
    return AssignmentSerializer(selectors.with_completions(assignments), many=True).data


def _outcome_data(outcome: services.AssignOutcome) -> dict:
    return {
        "program": outcome.program,
        "created": selectors.with_completions(outcome.created),
        "skipped": [
            {"user": user, "reason": "Already holds an open assignment of this program", "assignment_id": assignment.pk}
            for user, assignment in outcome.skipped
        ],
    }


def _require_scope(user) -> None:
    if not selectors.sees_everyone(user):
        raise PermissionDenied("Seeing other people's training needs the training.view and users.view permissions.")


@extend_schema_view(
    list=extend_schema(
        responses={200: ProgramSerializer(many=True), **error_responses(401, 403, 422)},
        description="The catalogue. Filters: category, level, status, instructor_id, document_id (linked document), "
        "search (title or description). Draft programs are listed only for holders of training.manage or "
        "training.assign.",
    ),
)
@extend_schema(tags=["training"])
class TrainingProgramViewSet(ListModelMixin, viewsets.GenericViewSet):
    """Programs (`/api/training/`), assignment, my training, completion and the matrix."""

    serializer_class = ProgramSerializer
    filterset_class = ProgramFilter
    filter_backends = [QueryFilterBackend, SortFilter]
    sort_fields = ["title", "category", "level", "status", "created_at", "updated_at"]
    default_sort = ["title", "pk"]
    required_permissions = {
        "list": "training.view",
        "retrieve": "training.view",
        "create": "training.manage",
        "update": "training.manage",
        "destroy": "training.manage",
        "retire": "training.manage",
        "assign": "training.assign",
        "bulk_assign": "training.assign",
        "my_training": "training.view",
        "complete": "training.complete",
        "matrix": "training.view",
        "matrix_export": "training.view",
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TrainingProgram.objects.none()
        return selectors.program_list(self.request.user)

    @extend_schema(
        request=ProgramWriteSerializer,
        responses={201: ProgramSerializer, **error_responses(401, 403, 422)},
        description="Creates a program (DRAFT unless status PUBLISHED). Without requires_signature, GMP and SOP "
        "programs need the trainee's e-signature to complete and others do not.",
    )
    def create(self, request):
        data = validated(ProgramWriteSerializer, request)
        program = services.create_program(actor=request.user, data=data)
        return _program_response(program, request, status.HTTP_201_CREATED)

    @extend_schema(responses={200: ProgramSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request, pk=None):
        return _program_response(_program(request.user, pk), request)

    @extend_schema(
        request=ProgramUpdateSerializer,
        responses={200: ProgramSerializer, **error_responses(401, 403, 404, 409, 422)},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, description='The row_version, e.g. "3"')],
        description="Changes the fields sent. `reason` is required; `row_version` (or If-Match) must be the one you "
        "read, else 409 VERSION_CONFLICT. A retired program does not change (409 PROGRAM_RETIRED); one with "
        "assignments or registrations cannot go back to DRAFT (409 PROGRAM_IN_USE).",
    )
    def update(self, request, pk=None):
        program = _program(request.user, pk)
        data = validated(ProgramUpdateSerializer, request, partial=True)
        reason, row_version = pop_reason_and_row_version(data, request)
        program = services.update_program(actor=request.user, program=program, data=data, reason=reason, row_version=row_version)
        return _program_response(program, request)

    @extend_schema(
        parameters=[REASON_QUERY_PARAMETER],
        responses={200: DeleteOutcomeSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Deletes a program nobody was ever assigned, registered for or required. A program with "
        "history is never deleted: it is retired instead (outcome `retired`; needs a reason, as `?reason=` or in "
        "the body; its open assignments are cancelled).",
    )
    def destroy(self, request, pk=None):
        program = _program(request.user, pk)
        outcome = services.delete_or_retire_program(actor=request.user, program=program, reason=reason_from(request))
        message = "Training program deleted." if outcome == "deleted" else "Training program retired (it has history)."
        return Response(DeleteOutcomeSerializer({"message": message, "outcome": outcome}).data)

    @extend_schema(
        request=RequiredReasonSerializer,
        responses={200: ProgramSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Retires a program: it stays with its history, can no longer be assigned or registered for, "
        "and its open assignments are cancelled. 409 ALREADY_RETIRED.",
    )
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        program = _program(request.user, pk)
        data = validated(RequiredReasonSerializer, request)
        program = services.retire_program(actor=request.user, program=program, reason=data["reason"])
        return _program_response(program, request)

    @extend_schema(
        request=AssignRequestSerializer,
        responses={201: AssignOutcomeSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Assigns a published program to users and to the active members of groups as they are now "
        "(people who join a group later do not receive it). People who already hold an open assignment of the "
        "program are skipped and listed in `skipped` (not an error). Unknown or deactivated user ids and unknown "
        'group ids are a 422 naming each (loc ["body", "user_ids", index]); a draft or retired program is '
        "409 PROGRAM_NOT_ASSIGNABLE. A due date in the past makes the assignment overdue at once.",
    )
    @action(detail=False, methods=["post"])
    def assign(self, request):
        data = validated(AssignRequestSerializer, request)
        users, groups, _ = services.resolve_ids(data["user_ids"], data["group_ids"])
        program = selectors.program_list(request.user).filter(pk=data["training_id"]).first()
        if program is None:
            raise NotFound("Training program not found.")
        outcome = services.assign_training(
            actor=request.user, program=program, users=users, groups=groups, due_date=data.get("due_date"), reason=data["reason"]
        )
        return Response(AssignOutcomeSerializer(_outcome_data(outcome)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=BulkAssignRequestSerializer,
        responses={201: BulkAssignOutcomeSerializer, **error_responses(401, 403, 409, 422)},
        description="Every program to every user and group member (the cross product) in one transaction. Unknown "
        "ids are a 422 naming every one of them (training_ids, user_ids, group_ids) and nothing is assigned; so is "
        "a program that cannot be assigned (409).",
    )
    @action(detail=False, methods=["post"], url_path="bulk-assign")
    def bulk_assign(self, request):
        data = validated(BulkAssignRequestSerializer, request)
        users, groups, programs = services.resolve_ids(data["user_ids"], data["group_ids"], data["training_ids"])
        outcomes = services.bulk_assign(
            actor=request.user,
            programs=programs,
            users=users,
            groups=groups,
            due_date=data.get("due_date"),
            reason=data["reason"],
        )
        body = {
            "results": [_outcome_data(o) for o in outcomes],
            "created_total": sum(len(o.created) for o in outcomes),
            "skipped_total": sum(len(o.skipped) for o in outcomes),
        }
        return Response(BulkAssignOutcomeSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: AssignmentSerializer(many=True), **error_responses(401, 403, 422)},
        description="The caller's assignments: open ones first (soonest due first), then the history (completed and "
        "cancelled, newest first). Each names its program, the document version for read-and-understood items, "
        "the due date, the status (assigned, overdue, completed, cancelled), the completion and its signature, "
        "and whether the caller is qualified on the program now.",
    )
    @action(detail=False, methods=["get"], url_path="my-training", filter_backends=[])
    def my_training(self, request):
        page = self.paginate_queryset(selectors.my_training(request.user))
        return self.get_paginated_response(_assignment_rows(page))

    @extend_schema(
        request=CompleteRequestSerializer,
        responses={200: AssignmentSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Completes the caller's open assignment of program {id} (or `assignment_id`, which must be the "
        "caller's: otherwise 404). When the program needs an e-signature, `password` is required (422 "
        "SIGNATURE_REQUIRED without it); a wrong one is 401 SIGNATURE_AUTH_FAILED and counts toward account lockout. "
        "The signature (meaning training_completion) covers the program and the document version. Completing "
        "again is 409 ALREADY_COMPLETED; a cancelled assignment is 409 ASSIGNMENT_CLOSED; no assignment of this "
        "program is 404 NOT_ASSIGNED.",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        program = _program(request.user, pk)
        data = validated(CompleteRequestSerializer, request)
        assignment = services.complete_training(
            actor=request.user,
            program=program,
            assignment_id=data.get("assignment_id"),
            password=data["password"],
            meaning=data["meaning"],
            intent=data["intent"],
            comment=data["comment"],
        )
        row = selectors.my_training(request.user).get(pk=assignment.pk)
        return Response(_assignment_rows([row])[0])

    @extend_schema(
        parameters=[
            OpenApiParameter("group_id", int, description="Only members of this group"),
            OpenApiParameter("program_id", int, description="Only this program"),
            OpenApiParameter("status", str, enum=[*selectors.CellStatus.ALL], description="People with a cell in this status"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="Users per page (at most 100)"),
        ],
        responses={200: MatrixSerializer, **error_responses(401, 403, 422)},
        description="Users (rows, paged) × published programs (columns). Each cell: status (overdue, due_soon, "
        "qualified, assigned, expired, not_assigned, in that precedence), whether the person is qualified, the open "
        "assignment's due date, the latest completion and its expiry. Needs training.view and users.view.",
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def matrix(self, request):
        _require_scope(request.user)
        programs, users = _matrix_query(request)
        paginator = EnvelopePagination()
        page = paginator.paginate_queryset(users, request)
        body = paginator.get_paginated_response([]).data
        body["programs"] = programs
        body["items"] = selectors.matrix_rows(page, programs)
        return Response(MatrixSerializer(body).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("group_id", int, description="Only members of this group"),
            OpenApiParameter("program_id", int, description="Only this program"),
            OpenApiParameter("status", str, enum=[*selectors.CellStatus.ALL], description="People with a cell in this status"),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per person and program"),
            **error_responses(401, 403, 422),
        },
        description="The whole matrix (same filters) as CSV, streamed in constant memory: user_id, username, "
        "full_name, training_id, training, status, qualified, due_date, completed_at, expires_at.",
    )
    @action(detail=False, methods=["get"], url_path="matrix/export", filter_backends=[], pagination_class=None)
    def matrix_export(self, request):
        _require_scope(request.user)
        programs, users = _matrix_query(request)
        response = StreamingHttpResponse(_matrix_csv(users, programs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="training-matrix-{timezone.now():%Y%m%d-%H%M%S}.csv"'
        return response

    def perform_content_negotiation(self, request, force=False):
        # The CSV export answers errors in JSON whatever the Accept header says.
        if getattr(self, "action", None) == "matrix_export":
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)


def _matrix_query(request):
    query = MatrixQuerySerializer(data=request.query_params)
    if not query.is_valid():
        raise RequestValidationError(query.errors, location="query")
    params = query.validated_data
    if "group_id" in params and not Group.objects.filter(pk=params["group_id"]).exists():
        raise RequestValidationError({"group_id": [f"No group with id {params['group_id']}."]})
    programs = selectors.matrix_programs(program_id=params.get("program_id"))
    if "program_id" in params and not programs:
        raise RequestValidationError({"program_id": [f"No published program with id {params['program_id']}."]})
    users = selectors.matrix_users(programs=programs, group_id=params.get("group_id"), status=params.get("status"))
    return programs, users


class _Lines:
    """csv.writer target whose write returns the line, so rows can be streamed one by one."""

    def write(self, value: str) -> str:
        return value


def _csv_text(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text  # no spreadsheet formulas


def _matrix_csv(users, programs) -> Iterator[str]:
    writer = csv.writer(_Lines())
    yield writer.writerow(
        [
            "user_id",
            "username",
            "full_name",
            "training_id",
            "training",
            "status",
            "qualified",
            "due_date",
            "completed_at",
            "expires_at",
        ]
    )
    titles = {p.pk: _csv_text(p.title) for p in programs}
    for row in selectors.matrix_stream(users, programs):
        lines = []
        for cell in row.cells:
            lines.append(
                writer.writerow(
                    [
                        row.user.pk,
                        _csv_text(row.user.username),
                        _csv_text(row.user.full_name),
                        cell.program_id,
                        titles[cell.program_id],
                        cell.status,
                        "yes" if cell.qualified else "no",
                        cell.due_date.isoformat() if cell.due_date else "",
                        cell.completed_at.isoformat() if cell.completed_at else "",
                        cell.expires_at.isoformat() if cell.expires_at else "",
                    ]
                )
            )
        yield "".join(lines)


@extend_schema(tags=["training"])
class AssignmentViewSet(ListModelMixin, viewsets.GenericViewSet):
    """Assignments: one's own, or everyone's with training.view and users.view."""

    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    filter_backends = [QueryFilterBackend, SortFilter]
    sort_fields = ["assigned_at", "due_date", "status", "completed_at"]
    default_sort = ["-assigned_at", "-pk"]
    required_permissions = {"list": "training.view", "retrieve": "training.view", "cancel": "training.assign"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assignment.objects.none()
        return selectors.assignment_list(self.request.user)

    @extend_schema(
        responses={200: AssignmentSerializer(many=True), **error_responses(401, 403, 422)},
        description="Filters: user_id, training_id, group_id, status, document_id, due_before. Without users.view "
        "only your own assignments are listed.",
    )
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(_assignment_rows(page))

    @extend_schema(responses={200: AssignmentSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request, pk=None):
        return Response(_assignment_rows([self.get_object()])[0])

    @extend_schema(
        request=RequiredReasonSerializer,
        responses={200: AssignmentSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Cancels an open assignment (reason required). 409 ASSIGNMENT_CLOSED when it is not open.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        assignment = self.get_object()
        data = validated(RequiredReasonSerializer, request)
        services.cancel_assignment(actor=request.user, assignment=assignment, reason=data["reason"])
        return Response(_assignment_rows([self.get_queryset().get(pk=assignment.pk)])[0])


@extend_schema_view(
    list=extend_schema(responses={200: CompletionSerializer(many=True), **error_responses(401, 403, 422)}),
    retrieve=extend_schema(responses={200: CompletionSerializer, **error_responses(401, 403, 404)}),
)
@extend_schema(tags=["training"])
class CompletionViewSet(ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Completions (never changed or deleted); a mistaken one is revoked with a reason."""

    serializer_class = CompletionSerializer
    filter_backends = [SortFilter]
    sort_fields = ["completed_at"]
    default_sort = ["-completed_at", "-pk"]
    required_permissions = {"list": "training.view", "retrieve": "training.view", "revoke": "training.manage"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Completion.objects.none()
        return selectors.completion_list(self.request.user)

    @extend_schema(
        request=RequiredReasonSerializer,
        responses={200: CompletionSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Revokes a completion recorded by mistake with a reason (a new audited record; the completion "
        "stays). The person is no longer qualified by it; the assignment opens again when it still can. "
        "409 ALREADY_REVOKED.",
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        completion = self.get_object()
        data = validated(RequiredReasonSerializer, request)
        services.revoke_completion(actor=request.user, completion=completion, reason=data["reason"])
        return Response(CompletionSerializer(self.get_queryset().get(pk=completion.pk)).data)


@extend_schema_view(
    list=extend_schema(
        responses={200: RegistrationSerializer(many=True), **error_responses(401, 403, 422)},
        description="Filters: user_id, training_id, status. Without users.view: your own registrations and those of "
        "the programs you instruct.",
    ),
    retrieve=extend_schema(responses={200: RegistrationSerializer, **error_responses(401, 403, 404)}),
)
@extend_schema(tags=["training"])
class RegistrationViewSet(ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Registrations for program sessions (seats: the program's max_participants)."""

    serializer_class = RegistrationSerializer
    filterset_class = RegistrationFilter
    filter_backends = [QueryFilterBackend, SortFilter]
    sort_fields = ["registered_at", "status"]
    default_sort = ["-registered_at", "-pk"]
    required_permissions = {
        "list": "training.view",
        "retrieve": "training.view",
        "create": ("training.complete", "training.assign"),
        "update": "training.view",
        "destroy": "training.view",
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        return selectors.registration_list(self.request.user)

    @extend_schema(
        request=RegisterRequestSerializer,
        responses={201: RegistrationSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Registers the caller (or `user_id`, with training.assign) for a published program. 409 "
        "ALREADY_REGISTERED, 409 SESSION_FULL when max_participants are registered, 409 PROGRAM_NOT_ASSIGNABLE "
        "for a draft or retired program.",
    )
    def create(self, request):
        data = validated(RegisterRequestSerializer, request)
        program = _program(request.user, data["training_id"])
        user = None
        if data.get("user_id") is not None:
            user = User.objects.filter(pk=data["user_id"], is_active=True).first()
            if user is None:
                raise InvalidInput(f"No active user with id {data['user_id']}.", field="user_id")
        registration = services.register_for_training(actor=request.user, program=program, user=user)
        return Response(RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RegistrationUpdateSerializer,
        responses={200: RegistrationUpdateOutcomeSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="The instructor or a training manager marks ATTENDED or COMPLETED (which completes the "
        "participant's open assignment of the program unless it needs their own e-signature: "
        "`assignment_completed`); the participant may set CANCELLED and, after attending, feedback_score 1–5 "
        "(422 outside; 409 NOT_ATTENDED before attending).",
    )
    def update(self, request, pk=None):
        registration = self.get_object()
        data = validated(RegistrationUpdateSerializer, request)
        outcome = services.update_registration(
            actor=request.user,
            registration=registration,
            status=data.get("status"),
            feedback_score=data.get("feedback_score"),
            complete_assignment=data["complete_assignment"],
            reason=data["reason"],
        )
        row = self.get_queryset().get(pk=outcome.registration.pk)
        row.assignment_completed = outcome.completion is not None
        return Response(RegistrationUpdateOutcomeSerializer(row).data)

    @extend_schema(
        responses={200: MessageSerializer, **error_responses(401, 403, 404, 409)},
        description="Cancels a registration (the participant, the instructor or a training manager); the row stays "
        "with status CANCELLED. 409 REGISTRATION_CANCELLED when it already is.",
    )
    def destroy(self, request, pk=None):
        services.cancel_registration(actor=request.user, registration=self.get_object())
        return Response(MessageSerializer({"message": "Registration cancelled."}).data)
