"""Pages: document list, detail, upload, new version, metadata, approve/reject and other transitions
(with the signature dialog), approval configuration, download; templates list and "create from
template". Every change goes through documents.services, like the API."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audit.forms import SignatureForm
from qms.errors import DomainError, InvalidInputs
from qms.pages import message_for, permission_required
from workflows.models import TransitionTrigger, WorkflowState, WorkflowTransition
from workflows.selectors import approval_policy

from . import files, selectors, services
from .downloads import download_response
from .filters import DocumentFilter, DocumentTemplateFilter
from .forms import (
    ConfigureApprovalForm,
    DocumentFilterForm,
    MetadataForm,
    NewVersionForm,
    TemplateUseForm,
    TransitionForm,
    UploadForm,
)
from .models import DocumentTemplate

PAGE_SIZE = 25


def _document(request, pk):
    return get_object_or_404(selectors.document_detail_queryset(request.user), pk=pk)


def _form_error(form, exc: DomainError):
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, message_for(exc))


@permission_required("documents.view")
def document_list(request):
    params = request.GET.copy()
    params.pop("page", None)
    filter_form = DocumentFilterForm(request.GET or None)
    filterset = DocumentFilter(params, queryset=selectors.document_list(request.user).order_by("-created_at", "-pk"))
    documents = filterset.qs if filterset.is_valid() else selectors.document_list(request.user).none()
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "documents/list.html",
        {
            "page": page,
            "filter_form": filter_form,
            "query": params.urlencode(),
            "can_upload": request.user.has_qms_permission("documents.create"),
        },
    )


@permission_required("documents.create")
def document_upload(request):
    form = UploadForm()
    if request.method == "POST":
        try:
            files.check_request_size(request.META.get("CONTENT_LENGTH"))
        except DomainError as exc:
            messages.error(request, message_for(exc))
            return redirect("documents:upload")
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                document = services.upload_document(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"{document.number} uploaded as version 1.0 (draft).")
                return redirect("documents:detail", pk=document.pk)
    return render(request, "documents/upload.html", {"form": form})


@permission_required("documents.view")
def document_detail(request, pk):
    document = _document(request, pk)
    detail = selectors.document_detail(document, request.user)
    user = request.user
    can_approve, approve_blocker = False, ""
    if user.has_qms_permission("documents.approve") and document.workflow_instance_id:
        try:
            services.check_can_approve(actor=user, document=document)
            can_approve = True
        except DomainError as exc:
            approve_blocker = message_for(exc) if document.workflow_instance.current_state.kind == "in_review" else ""
    editable = document.workflow_instance.current_state.kind in ("draft", "rejected", "open")
    revisable = document.workflow_instance.current_state.kind == "effective"
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "detail": detail,
            "can_approve": can_approve,
            "approve_blocker": approve_blocker,
            "approve_intent": services.default_intent(document),
            "approve_url": reverse("documents:approve", args=[document.pk]),
            "can_edit": user.has_qms_permission("documents.edit") and not document.workflow_instance.current_state.is_terminal,
            "can_add_version": user.has_qms_permission("documents.create") and (editable or revisable),
            "revisable": revisable,
            "can_configure": user.has_qms_permission("documents.configure_approval") and editable,
            "can_download": user.has_qms_permission("documents.download"),
            "can_view_audit": user.has_qms_permission("audit.view"),
        },
    )


@permission_required("documents.download")
def document_download(request, pk):
    document = _document(request, pk)
    version = selectors.version_for_download(request.user, document, request.GET.get("version"))
    if version is None:
        raise Http404("No such version.")
    return download_response(actor=request.user, document=document, version=version)


@permission_required("documents.create")
def version_new(request, pk):
    document = _document(request, pk)
    form = NewVersionForm()
    if request.method == "POST":
        try:
            files.check_request_size(request.META.get("CONTENT_LENGTH"))
        except DomainError as exc:
            messages.error(request, message_for(exc))
            return redirect("documents:version-new", pk=pk)
        form = NewVersionForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                version = services.add_version(actor=request.user, document=document, **form.cleaned_data)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"Version {version.version} uploaded.")
                return redirect("documents:detail", pk=pk)
    return render(
        request, "documents/version_new.html", {"document": document, "form": form, "revision": document.status == "effective"}
    )


@permission_required("documents.edit")
def document_edit(request, pk):
    document = _document(request, pk)
    initial = {
        "title": document.title,
        "category": document.category,
        "description": document.description,
        "keywords": document.keywords,
        "owner": document.owner,
        "next_review_date": document.next_review_date,
        "row_version": document.row_version,
    }
    form = MetadataForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason, row_version = data.pop("reason"), data.pop("row_version")
        changes = {k: v for k, v in data.items() if v != initial[k]}
        try:
            services.update_metadata(
                actor=request.user, document=document, changes=changes, reason=reason, row_version=row_version
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Metadata saved.")
            return redirect("documents:detail", pk=pk)
    return render(request, "documents/edit.html", {"document": document, "form": form})


@require_POST
@permission_required("documents.approve")
def document_approve(request, pk):
    document = _document(request, pk)
    form = SignatureForm(request.POST, allowed_types=["approval"])
    if not form.is_valid():
        messages.error(request, "Approval not recorded: " + _errors(form))
        return redirect("documents:detail", pk=pk)
    data = form.cleaned_data
    try:
        document = services.approve_document(
            actor=request.user, document=document, password=data["password"], comment=data["reason"], intent=data["intent"]
        )
    except DomainError as exc:
        messages.error(request, f"Approval not recorded: {message_for(exc)}")
    else:
        messages.success(request, f"Approved with your electronic signature. Status: {document.status.replace('_', ' ')}.")
    return redirect("documents:detail", pk=pk)


@require_POST
@permission_required("documents.view")
def document_transition(request, pk, name):
    document = _document(request, pk)
    needs_signature = WorkflowTransition.objects.filter(
        template_id=document.workflow_instance.template_id,
        from_state_id=document.workflow_instance.current_state_id,
        name=name,
        requires_signature=True,
    ).exists()
    if needs_signature:
        form = SignatureForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Not done: " + _errors(form))
            return redirect("documents:detail", pk=pk)
        comment, password, intent = form.cleaned_data["reason"], form.cleaned_data["password"], form.cleaned_data["intent"]
    else:
        form = TransitionForm(request.POST)
        form.is_valid()
        comment, password, intent = form.cleaned_data.get("comment", ""), None, ""
    try:
        document = services.transition_document(
            actor=request.user, document=document, name=name, comment=comment, password=password, intent=intent
        )
    except DomainError as exc:
        messages.error(request, f"Not done: {message_for(exc)}")
    else:
        messages.success(request, f"{document.number} is now {document.status.replace('_', ' ')}.")
    return redirect("documents:detail", pk=pk)


@permission_required("documents.configure_approval")
def configure_approval(request, pk):
    document = _document(request, pk)
    instance = document.workflow_instance
    states = list(
        WorkflowTransition.objects.filter(template_id=instance.template_id, trigger=TransitionTrigger.APPROVAL)
        .order_by("order")
        .values_list("from_state__name", flat=True)
    )
    form = ConfigureApprovalForm(request.POST or None, states=states)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.configure_approval(
                actor=request.user,
                document=document,
                state=data["state"],
                approval_mode=data["approval_mode"],
                author_may_approve=data["author_may_approve"],
                rules=form.rules(),
                reset=data["reset"],
                reason=data["reason"],
            )
        except InvalidInputs as exc:
            form.add_error(None, "; ".join(msg for _, msg, _ in exc.problems))
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Approval rules saved for this document.")
            return redirect("documents:detail", pk=pk)
    detail = selectors.document_detail(document, request.user)
    policies = [
        approval_policy(instance, WorkflowState.objects.get(template_id=instance.template_id, name=s), with_progress=False)
        for s in states
    ]
    return render(
        request,
        "documents/configure_approval.html",
        {
            "document": document,
            "form": form,
            "policies": policies,
            "detail": detail,
        },
    )


def _errors(form) -> str:
    return "; ".join(f"{form.fields[f].label if f in form.fields else f}: {' '.join(e)}" for f, e in form.errors.items())


# --- templates -----------------------------------------------------------------------------------------


@permission_required("templates.view")
def template_list(request):
    params = request.GET.copy()
    params.pop("page", None)
    filterset = DocumentTemplateFilter(params, queryset=selectors.template_list().filter(is_active=True).order_by("name"))
    templates = filterset.qs if filterset.is_valid() else selectors.template_list().none()
    categories = sorted(set(DocumentTemplate.objects.exclude(category="").values_list("category", flat=True)))
    return render(
        request,
        "documents/template_list.html",
        {
            "templates": templates,
            "categories": categories,
            "category": request.GET.get("category", ""),
            "can_use": request.user.has_qms_permission("templates.use"),
            "can_manage": request.user.has_qms_permission("templates.manage") and request.user.is_staff,
        },
    )


@permission_required("templates.use")
def template_use(request, pk):
    template = get_object_or_404(selectors.template_list().filter(is_active=True), pk=pk)
    form = TemplateUseForm(request.POST or None, template=template)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.use_template(actor=request.user, template=template, variables=form.variables())
        except InvalidInputs as exc:
            for loc, msg, _ in exc.problems:
                field = f"var_{loc[-1]}" if loc[:1] == ["variables"] else None
                form.add_error(field if field in form.fields else None, msg)
        except DomainError as exc:
            form.add_error(None, message_for(exc))
        else:
            messages.success(request, f"{document.number} created from {template.name} as a draft.")
            return redirect("documents:detail", pk=document.pk)
    return render(
        request,
        "documents/template_use.html",
        {
            "template": template,
            "form": form,
            "preview_url": reverse("documents:template-list"),
        },
    )
