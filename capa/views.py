"""Pages: the CAPA list (filters, overdue badges), create (from scratch or raised from a deviation),
detail (the workflow kit's panel, the plan approval through the signature dialog, the action plan
with inline completion by the owner, effectiveness reviews recorded with an electronic signature,
linked deviations and documents, files, the audit trail link) and edit. Every change goes through
capa.services, like the API; transitions and closure are the workflow kit's pages."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.forms import SignatureForm
from qms import files
from qms.errors import DomainError, InvalidInputs
from qms.pages import filtered_page, message_for, permission_required
from qms.permissions import has
from workflows.views import workflow_panel

from . import defaults, selectors, services
from .filters import CapaFilter
from .forms import (
    ActionForm,
    AttachmentsForm,
    CapaEditForm,
    CapaFilterForm,
    CapaForm,
    CompleteActionForm,
    DeviationLinkForm,
    ExtendForm,
    ReasonForm,
    ReviewPlanForm,
    ReviewRecordForm,
)
from .models import ActionStatus, CapaSource, ReviewResult

VIEW, WORK, CREATE, EDIT = "capa.view", "capa.work", "capa.create", "capa.edit"
APPROVE_DRAFT, EFFECTIVENESS = "capa.approve_draft", "capa.effectiveness"
PAGE_SIZE = 25
PRIORITY_BADGES = {"low": "", "medium": "badge-warn", "high": "badge-danger", "critical": "badge-danger"}


def reader_page(view):
    """CAPA pages for holders of capa.view (all) and capa.work (their own)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (has(request.user, VIEW) or has(request.user, WORK)):
            raise PermissionDenied("You need the 'capa.view' or 'capa.work' permission to open this page.")
        return view(request, *args, **kwargs)

    return wrapped


def _capa(request, pk):
    return get_object_or_404(selectors.capa_detail_queryset(request.user), pk=pk)


def _problems_text(exc: DomainError) -> str:
    if isinstance(exc, InvalidInputs):
        return " ".join(f"{' '.join(str(p) for p in loc).replace('_', ' ').capitalize()}: {msg}" for loc, msg, _ in exc.problems)
    return message_for(exc)


def _back(capa, anchor: str = ""):
    return redirect(capa.get_absolute_url() + (f"#{anchor}" if anchor else ""))


# --- list, create, detail, edit ------------------------------------------------------------------------


@reader_page
def capa_list(request):
    queryset = selectors.capa_list(request.user).order_by("-created_at", "-pk")
    page, query = filtered_page(request, CapaFilter, queryset, page_size=PAGE_SIZE)
    for capa in page:
        capa.overdue = selectors.is_overdue(capa)
        capa.priority_badge = PRIORITY_BADGES.get(capa.priority, "")
        capa.state_label = selectors.state_label(capa.status)
    return render(
        request,
        "capa/list.html",
        {
            "page": page,
            "filter_form": CapaFilterForm(request.GET or None),
            "query": query,
            "can_create": has(request.user, CREATE),
            "sees_all": selectors.sees_all(request.user),
        },
    )


@permission_required(CREATE)
def capa_create(request):
    """A new CAPA; with ?deviation=<id> raised from that deviation (pre-filled, linked to it)."""
    from deviations.selectors import visible_deviations

    deviation = None
    deviation_id = request.GET.get("deviation") or request.POST.get("deviation")
    if deviation_id:
        deviation = get_object_or_404(
            visible_deviations(request.user), pk=int(deviation_id) if str(deviation_id).isdigit() else 0
        )
    initial = {"owner": request.user.pk, "priority": "medium", "capa_type": "corrective"}
    if deviation is not None:
        priority = defaults.PRIORITY_FOR_SEVERITY.get(deviation.severity, "medium")
        initial.update(
            title=f"CAPA for {deviation.number}: {deviation.title}"[:255],
            description=f"Raised from deviation {deviation.number}: {deviation.title}\n\n{deviation.description}",
            source=CapaSource.DEVIATION,
            source_reference=deviation.number,
            root_cause=deviation.root_cause,
            priority=priority,
            due_date=timezone.localdate() + timezone.timedelta(days=defaults.DUE_DAYS.get(priority, 60)),
        )
    form = CapaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            versions = _versions_for(request.user, form.document_numbers())
            fields = {
                name: data[name]
                for name in (
                    "title",
                    "description",
                    "capa_type",
                    "source",
                    "source_reference",
                    "priority",
                    "root_cause",
                    "owner",
                    "due_date",
                )
            }
            if deviation is not None:
                capa = services.raise_from_deviation(
                    actor=request.user, deviation=deviation, document_version_ids=versions, **fields
                )
            else:
                capa = services.create_capa(actor=request.user, document_version_ids=versions, **fields)
        except DomainError as exc:
            for loc, msg in _located(exc):
                form.add_error(loc if loc in form.fields else None, msg)
        else:
            state = "open" if capa.status == "open" else "a draft: a QA Manager approves its plan"
            messages.success(request, f"{capa.number} created; it is {state}.")
            return redirect(capa.get_absolute_url())
    return render(
        request, "capa/create.html", {"form": form, "deviation": deviation}, status=422 if request.method == "POST" else 200
    )


def _versions_for(user, numbers: list[str]) -> list[int]:
    """The version ids of the documents named (the version the user sees); unknown ones are a 422."""
    if not numbers:
        return []
    from documents.selectors import document_list, sees_all_versions

    found = {d.number.upper(): d for d in document_list(user).filter(number__in=numbers)} if has(user, "documents.view") else {}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise InvalidInputs([(["documents"], f"No document {', '.join(missing)} that you may read.", "value_error.reference")])
    out = []
    for number in numbers:
        document = found[number]
        version_id = document.current_version_id if sees_all_versions(user) else document.effective_version_id
        out.append(version_id)
    return out


def _located(exc: DomainError) -> list[tuple]:
    if isinstance(exc, InvalidInputs):
        fields = {"deviation_ids": "documents", "document_version_ids": "documents"}
        return [(fields.get(str(loc[0]), str(loc[0])) if loc else None, msg) for loc, msg, _ in exc.problems]
    return [(getattr(exc, "field", None), message_for(exc))]


@reader_page
def capa_detail(request, pk):
    capa = _capa(request, pk)
    user = request.user
    detail = selectors.capa_detail(capa, user)
    kind = capa.workflow_instance.current_state.kind
    panel = workflow_panel(request, capa, detail.workflow)
    # The plan approval has its own dialog on this page (capa.services.approve_draft).
    panel["workflow"].available_transitions = [
        t for t in panel["workflow"].available_transitions if getattr(t, "name", None) != defaults.APPROVE_DRAFT
    ]
    can_edit = has(user, EDIT) and kind in services.EDITABLE_KINDS
    for action in detail.actions:
        action.can_complete = action.status == ActionStatus.OPEN and action.owner_id == user.pk and kind in services.WORKING_KINDS
    for review in detail.reviews:
        review.can_record = (
            review.result == ReviewResult.PENDING
            and capa.status == "pending_effectiveness"
            and has(user, EFFECTIVENESS)
            and has(user, VIEW)
            and review.reviewer_id in (None, user.pk)
        )
    from .records import plan_approval_intent

    return render(
        request,
        "capa/detail.html",
        {
            "capa": capa,
            "detail": detail,
            "state_label": selectors.state_label(capa.status),
            "overdue": selectors.is_overdue(capa),
            "priority_badge": PRIORITY_BADGES.get(capa.priority, ""),
            "panel": panel,
            "can_edit": can_edit,
            "can_link": has(user, EDIT) and kind not in services.READ_ONLY_KINDS,
            "can_plan_review": has(user, EDIT) and kind not in services.READ_ONLY_KINDS,
            "can_approve_draft": capa.status == "draft" and has(user, APPROVE_DRAFT) and has(user, VIEW),
            "plan_intent": plan_approval_intent(capa),
            "action_form": ActionForm(initial={"owner": capa.owner_id}),
            "complete_form": CompleteActionForm(),
            "extend_form": ExtendForm(),
            "review_form": ReviewPlanForm(),
            "record_form": ReviewRecordForm(),
            "link_form": DeviationLinkForm(),
            "attachments_form": AttachmentsForm(),
            "can_view_audit": has(user, "audit.view") or has(user, "signatures.view"),
        },
    )


@permission_required(EDIT)
def capa_edit(request, pk):
    capa = _capa(request, pk)
    initial = {
        name: getattr(capa, name)
        for name in ("title", "description", "capa_type", "source", "source_reference", "priority", "root_cause", "due_date")
    }
    initial.update(owner=capa.owner_id, row_version=capa.row_version)
    form = CapaEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {name: data[name] for name in initial if name not in ("owner", "row_version") and data[name] != initial[name]}
        if data["owner"].pk != capa.owner_id:
            changes["owner"] = data["owner"]
        try:
            services.update_capa(
                actor=request.user, capa=capa, changes=changes, reason=data["reason"], row_version=data["row_version"]
            )
        except DomainError as exc:
            for loc, msg in _located(exc):
                form.add_error(loc if loc in form.fields else None, msg)
        else:
            messages.success(request, f"{capa.number} saved.")
            return redirect(capa.get_absolute_url())
    return render(request, "capa/edit.html", {"capa": capa, "form": form})


@require_POST
@permission_required(APPROVE_DRAFT)
def capa_approve_draft(request, pk):
    capa = _capa(request, pk)
    form = SignatureForm(request.POST, allowed_types=["approval"])
    if not form.is_valid():
        messages.error(request, "Not approved: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return _back(capa)
    try:
        capa = services.approve_draft(
            actor=request.user, capa=capa, password=form.cleaned_data["password"], comment=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, f"Not approved: {message_for(exc)}")
    else:
        messages.success(request, f"The plan of {capa.number} is approved with your electronic signature; it is open.")
    return _back(capa)


# --- actions ------------------------------------------------------------------------------------------------


@require_POST
@permission_required(EDIT)
def action_add(request, pk):
    capa = _capa(request, pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Action not added: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return _back(capa, "actions")
    try:
        action = services.add_action(actor=request.user, capa=capa, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, f"Action not added: {_problems_text(exc)}")
    else:
        messages.success(request, f"Action {action.sequence} added and assigned to {action.owner.display_name}.")
    return _back(capa, "actions")


@require_POST
@reader_page
def action_complete(request, pk, action_id):
    capa = _capa(request, pk)
    action = get_object_or_404(capa.actions.all(), pk=action_id)
    try:
        files.check_request_size(request.META.get("CONTENT_LENGTH"))
        form = CompleteActionForm(request.POST, request.FILES)
        form.is_valid()
        services.complete_action(
            actor=request.user, action=action, evidence=request.POST.get("evidence", ""), uploads=request.FILES.getlist("files")
        )
    except DomainError as exc:
        messages.error(request, f"Not completed: {_problems_text(exc)}")
    else:
        messages.success(request, f"Action {action.sequence} is done.")
    return _back(capa, "actions")


@require_POST
@permission_required(EDIT)
def action_extend(request, pk, action_id):
    capa = _capa(request, pk)
    action = get_object_or_404(capa.actions.all(), pk=action_id)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not extended: a new due date and a reason are required.")
        return _back(capa, "actions")
    try:
        services.extend_action_due_date(actor=request.user, action=action, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, f"Not extended: {_problems_text(exc)}")
    else:
        messages.success(request, f"Action {action.sequence} is now due {form.cleaned_data['due_date']:%Y-%m-%d}.")
    return _back(capa, "actions")


@require_POST
@permission_required(EDIT)
def action_cancel(request, pk, action_id):
    capa = _capa(request, pk)
    action = get_object_or_404(capa.actions.all(), pk=action_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not cancelled: a reason is required.")
        return _back(capa, "actions")
    try:
        services.update_action(
            actor=request.user,
            action=action,
            changes={"status": ActionStatus.CANCELLED},
            reason=form.cleaned_data["reason"],
            row_version=action.row_version,
        )
    except DomainError as exc:
        messages.error(request, f"Not cancelled: {_problems_text(exc)}")
    else:
        messages.success(request, f"Action {action.sequence} cancelled.")
    return _back(capa, "actions")


# --- effectiveness reviews ------------------------------------------------------------------------------------


@require_POST
@permission_required(EDIT)
def review_add(request, pk):
    capa = _capa(request, pk)
    form = ReviewPlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Review not planned: a planned date and the method are required.")
        return _back(capa, "effectiveness")
    try:
        review = services.create_review(actor=request.user, capa=capa, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, f"Review not planned: {_problems_text(exc)}")
    else:
        messages.success(request, f"Effectiveness review {review.sequence} planned for {review.planned_date:%Y-%m-%d}.")
    return _back(capa, "effectiveness")


@require_POST
@permission_required(EFFECTIVENESS)
def review_record(request, pk, review_id):
    capa = _capa(request, pk)
    review = get_object_or_404(capa.effectiveness_reviews.select_related("reviewer"), pk=review_id)
    form = ReviewRecordForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Result not recorded: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return _back(capa, "effectiveness")
    data = form.cleaned_data
    try:
        services.record_effectiveness(
            actor=request.user,
            review=review,
            result=data["result"],
            evidence=data["evidence"],
            password=data["password"],
            new_action=form.new_action(),
            intent=data.get("intent", ""),
            comment=data.get("reason", ""),
        )
    except DomainError as exc:
        messages.error(request, f"Result not recorded: {_problems_text(exc)}")
    else:
        messages.success(request, f"Effectiveness review {review.sequence} recorded with your electronic signature.")
    return _back(capa, "effectiveness")


# --- deviations and files -------------------------------------------------------------------------------------


@require_POST
@permission_required(EDIT)
def deviation_link(request, pk):
    from deviations.selectors import visible_deviations

    capa = _capa(request, pk)
    form = DeviationLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not linked: the deviation's number and a reason are required.")
        return _back(capa, "deviations")
    token = form.cleaned_data["deviation"].strip()
    visible = visible_deviations(request.user)
    deviation = visible.filter(pk=int(token)).first() if token.isdigit() else visible.filter(number__iexact=token).first()
    try:
        if deviation is None:
            raise InvalidInputs([(["deviation"], f"No deviation {token} that you may view.", "value_error.reference")])
        services.link_deviation(actor=request.user, capa=capa, deviation=deviation, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, f"Not linked: {_problems_text(exc)}")
    else:
        messages.success(request, f"{capa.number} is now linked to {deviation.number}.")
    return _back(capa, "deviations")


@require_POST
@permission_required(EDIT)
def deviation_unlink(request, pk, link_id):
    capa = _capa(request, pk)
    link = get_object_or_404(capa.deviation_links.all(), pk=link_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not unlinked: a reason is required.")
        return _back(capa, "deviations")
    try:
        services.unlink_deviation(actor=request.user, capa=capa, link=link, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, f"Not unlinked: {message_for(exc)}")
    else:
        messages.success(request, "The deviation link was removed (it stays on record).")
    return _back(capa, "deviations")


@require_POST
@permission_required(EDIT)
def capa_attach(request, pk):
    capa = _capa(request, pk)
    try:
        files.check_request_size(request.META.get("CONTENT_LENGTH"))
        form = AttachmentsForm(request.POST, request.FILES)
        form.is_valid()
        services.add_attachments(
            actor=request.user,
            capa=capa,
            uploads=request.FILES.getlist("files"),
            description=form.cleaned_data.get("description") or "",
        )
    except DomainError as exc:
        messages.error(request, f"Not attached: {_problems_text(exc)}")
    else:
        messages.success(request, "Attached.")
    return _back(capa, "attachments")


@reader_page
def attachment_download(request, pk, attachment_id):
    from .downloads import attachment_response

    capa = _capa(request, pk)
    return attachment_response(request.user, capa, get_object_or_404(capa.attachments.all(), pk=attachment_id))
