"""Pages: My training (complete with the signature dialog), programs (list, detail, create, edit,
retire), assignment with a preview of who receives it, registrations, and the training matrix.
Every change goes through training.services, like the API."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from audit.forms import SignatureForm
from audit.models import SignatureType
from qms.errors import DomainError, InvalidInputs
from qms.pages import message_for, permission_required

from . import selectors, services
from .filters import ProgramFilter
from .forms import (
    AssignForm,
    FeedbackForm,
    MatrixFilterForm,
    ProgramEditForm,
    ProgramFilterForm,
    ProgramForm,
    ReasonForm,
    RegistrationStatusForm,
)
from .models import OPEN_STATUSES, RegistrationStatus

PAGE_SIZE = 25
MATRIX_PAGE_SIZE = 50


def _tabs(user) -> dict:
    return {
        "can_assign": user.has_qms_permission("training.assign"),
        "can_manage": user.has_qms_permission("training.manage"),
        "sees_everyone": selectors.sees_everyone(user),
    }


def _form_error(form, exc: DomainError) -> None:
    if isinstance(exc, InvalidInputs):
        for loc, msg, _ in exc.problems:
            field = loc[0] if loc and loc[0] in form.fields else None
            form.add_error(field, msg)
        return
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, message_for(exc))


def _act(request, call, *, done, failed: str):
    """Runs a service call; its outcome becomes a success message (`done`: text, or a function of the
    result) or, for a domain error, an error message starting with `failed`."""
    try:
        result = call()
    except DomainError as exc:
        messages.error(request, f"{failed}: {message_for(exc)}")
        return None
    messages.success(request, done(result) if callable(done) else done)
    return result


def _errors(form) -> str:
    return "; ".join(" ".join(errors) for errors in form.errors.values())


# --- my training ----------------------------------------------------------------------------------------


@permission_required("training.view")
def my_training(request):
    mine = selectors.my_training(request.user)
    open_rows = selectors.with_completions(mine.filter(status__in=OPEN_STATUSES))
    for row in open_rows:
        row.intent = services.default_intent(row.assignment)
    page = Paginator(mine.exclude(status__in=OPEN_STATUSES), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/my_training.html",
        {
            "open_rows": open_rows,
            "history": selectors.with_completions(page),
            "page": page,
            "can_complete": request.user.has_qms_permission("training.complete"),
            "tab": "my",
            **_tabs(request.user),
        },
    )


@require_POST
@permission_required("training.complete")
def complete(request, pk):
    assignment = get_object_or_404(selectors.my_training(request.user), pk=pk)
    program = assignment.program
    data = {}
    if program.requires_signature:
        form = SignatureForm(request.POST, allowed_types=[SignatureType.TRAINING_COMPLETION])
        if not form.is_valid():
            messages.error(request, "Training not completed: " + _errors(form))
            return redirect("training:my")
        data = {
            "password": form.cleaned_data["password"],
            "meaning": form.cleaned_data["signature_type"],
            "intent": form.cleaned_data["intent"],
            "comment": form.cleaned_data["reason"],
        }
    signed = " with your electronic signature" if program.requires_signature else ""
    _act(
        request,
        lambda: services.complete_training(actor=request.user, program=program, assignment_id=assignment.pk, **data),
        done=f"{program.title} completed{signed}.",
        failed="Training not completed",
    )
    return redirect("training:my")


# --- programs --------------------------------------------------------------------------------------------


@permission_required("training.view")
def program_list(request):
    params = request.GET.copy()
    params.pop("page", None)
    filterset = ProgramFilter(params, queryset=selectors.program_list(request.user).order_by("title", "pk"))
    programs = filterset.qs if filterset.is_valid() else selectors.program_list(request.user).none()
    page = Paginator(programs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/program_list.html",
        {
            "page": page,
            "filter_form": ProgramFilterForm(request.GET or None),
            "query": params.urlencode(),
            "tab": "programs",
            **_tabs(request.user),
        },
    )


@permission_required("training.view")
def program_detail(request, pk):
    program = get_object_or_404(selectors.program_list(request.user), pk=pk)
    user = request.user
    mine = selectors.my_training(user).filter(program=program).first()
    registration = program.registrations.filter(user=user).exclude(status=RegistrationStatus.CANCELLED).first()
    assignments = []
    if selectors.sees_everyone(user):
        assignments = selectors.with_completions(
            selectors.assignment_list(user).filter(program=program).order_by("status", "due_date", "pk")[:100]
        )
    return render(
        request,
        "training/program_detail.html",
        {
            "program": program,
            "mine": mine,
            "qualified": bool(selectors.qualified_program_ids(user, [program.pk])),
            "registration": registration,
            "seats_taken": selectors.seats_taken(program),
            "assignments": assignments,
            "retire_form": ReasonForm(),
            "tab": "programs",
            **_tabs(user),
        },
    )


@permission_required("training.manage")
def program_create(request):
    form = ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.create_program(actor=request.user, data=form.data_for_service())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Training program {program.title!r} created.")
            return redirect("training:program-detail", pk=program.pk)
    return render(
        request, "training/program_form.html", {"form": form, "program": None, "tab": "programs", **_tabs(request.user)}
    )


@permission_required("training.manage")
def program_edit(request, pk):
    program = get_object_or_404(selectors.program_list(request.user), pk=pk)
    form = ProgramEditForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_program(
                actor=request.user,
                program=program,
                data=form.data_for_service(),
                reason=form.cleaned_data["reason"],
                row_version=form.cleaned_data["row_version"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Training program saved.")
            return redirect("training:program-detail", pk=pk)
    return render(
        request, "training/program_form.html", {"form": form, "program": program, "tab": "programs", **_tabs(request.user)}
    )


@require_POST
@permission_required("training.manage")
def program_retire(request, pk):
    program = get_object_or_404(selectors.program_list(request.user), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not retired: " + _errors(form))
        return redirect("training:program-detail", pk=pk)
    _act(
        request,
        lambda: services.retire_program(actor=request.user, program=program, reason=form.cleaned_data["reason"]),
        done=f"{program.title!r} retired; its open assignments were cancelled.",
        failed="Not retired",
    )
    return redirect("training:program-detail", pk=pk)


@require_POST
@permission_required("training.complete")
def program_register(request, pk):
    program = get_object_or_404(selectors.program_list(request.user), pk=pk)
    _act(
        request,
        lambda: services.register_for_training(actor=request.user, program=program),
        done=f"You are registered for {program.title!r}.",
        failed="Not registered",
    )
    return redirect("training:program-detail", pk=pk)


# --- assignment ----------------------------------------------------------------------------------------------


@permission_required("training.assign")
def assign(request):
    initial = {"program": request.GET.get("training")} if request.GET.get("training") else None
    form = AssignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = services.assign_training(
                actor=request.user,
                program=data["program"],
                users=list(data["users"]),
                groups=list(data["groups"]),
                due_date=data["due_date"],
                reason=data["reason"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            skipped = f"; {len(outcome.skipped)} skipped (already assigned)" if outcome.skipped else ""
            messages.success(request, f"{data['program'].title} assigned to {len(outcome.created)} people{skipped}.")
            return redirect("training:program-detail", pk=data["program"].pk)
    return render(request, "training/assign.html", {"form": form, "tab": "assign", **_tabs(request.user)})


@require_POST
@permission_required("training.assign")
def assign_preview(request):
    """The htmx preview of who will receive the assignment and who is skipped."""
    form = AssignForm(request.POST)
    preview, receivers = None, []
    if form.is_valid():
        data = form.cleaned_data
        preview = selectors.recipients(data["program"], list(data["users"]), list(data["groups"]))
        receivers = [(user, preview.via_group.get(user.pk)) for user in preview.users]
    return render(request, "training/includes/assign_preview.html", {"form": form, "preview": preview, "receivers": receivers})


# --- registrations --------------------------------------------------------------------------------------------


@permission_required("training.view")
def registration_list(request):
    registrations = selectors.registration_list(request.user).order_by("-registered_at", "-pk")
    page = Paginator(registrations, PAGE_SIZE).get_page(request.GET.get("page"))
    user = request.user
    for registration in page:
        registration.runs_it = registration.program.instructor_id == user.pk or user.has_qms_permission("training.manage")
        registration.is_mine = registration.user_id == user.pk
    return render(
        request,
        "training/registrations.html",
        {
            "page": page,
            "status_form": RegistrationStatusForm(),
            "feedback_form": FeedbackForm(),
            "statuses": RegistrationStatus,
            "tab": "registrations",
            **_tabs(user),
        },
    )


@require_POST
@permission_required("training.view")
def registration_update(request, pk):
    registration = get_object_or_404(selectors.registration_list(request.user), pk=pk)
    status_form, feedback_form = RegistrationStatusForm(request.POST), FeedbackForm(request.POST)
    status = status_form.cleaned_data["status"] if status_form.is_valid() else None
    score = feedback_form.cleaned_data["feedback_score"] if feedback_form.is_valid() else None
    if status is None and score is None:
        messages.error(request, "Nothing changed: choose a status or a feedback score from 1 to 5.")
        return redirect("training:registrations")
    _act(
        request,
        lambda: services.update_registration(actor=request.user, registration=registration, status=status, feedback_score=score),
        done=lambda outcome: (
            "Registration updated." + (" The participant's assignment is completed." if outcome.completion else "")
        ),
        failed="Registration not changed",
    )
    return redirect("training:registrations")


# --- matrix -----------------------------------------------------------------------------------------------------


@permission_required("training.view")
def matrix(request):
    if not selectors.sees_everyone(request.user):
        raise PermissionDenied("The training matrix shows other people's training: it needs the users.view permission.")
    form = MatrixFilterForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    program = params.get("program_id")
    group = params.get("group_id")
    programs = selectors.matrix_programs(program_id=program.pk if program else None)
    users = selectors.matrix_users(programs=programs, group_id=group.pk if group else None, status=params.get("status") or None)
    page = Paginator(users, MATRIX_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    export = {k: v for k, v in (("group_id", group and group.pk), ("program_id", program and program.pk)) if v}
    if params.get("status"):
        export["status"] = params["status"]
    return render(
        request,
        "training/matrix.html",
        {
            "form": form,
            "programs": programs,
            "rows": selectors.matrix_rows(list(page), programs),
            "page": page,
            "query": query.urlencode(),
            "export_url": reverse("training-matrix-export") + (f"?{urlencode(export)}" if export else ""),
            "legend": selectors.CellStatus.LABELS,
            "tab": "matrix",
            **_tabs(request.user),
        },
    )
