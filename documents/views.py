"""Pages: document list, detail (with the workflow kit's panel), upload, new version, metadata,
download; templates list and "create from template". Approve, transitions and approval
configuration are the workflow kit's pages (workflows.urls.record_urlpatterns). Every change goes
through the services, like the API."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from qms.errors import DomainError, InvalidInputs
from qms.pages import filtered_page, message_for, permission_required
from workflows.models import EDITABLE_KINDS, StateKind
from workflows.related import related_records
from workflows.views import workflow_panel

from . import copies, files, selectors, services
from .copies_api import copy_response
from .downloads import download_response
from .filters import DocumentFilter, DocumentTemplateFilter
from .forms import DocumentFilterForm, MetadataForm, NewVersionForm, TemplateUseForm, UploadForm
from .models import DocumentTemplate

PAGE_SIZE = 25


def _document(request, pk):
    return get_object_or_404(selectors.document_detail_queryset(request.user), pk=pk)


def _form_error(form, exc: DomainError):
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, message_for(exc))


@permission_required("documents.view")
def document_list(request):
    queryset = selectors.document_list(request.user).order_by("-created_at", "-pk")
    page, query = filtered_page(request, DocumentFilter, queryset, page_size=PAGE_SIZE)
    return render(
        request,
        "documents/list.html",
        {
            "page": page,
            "filter_form": DocumentFilterForm(request.GET or None),
            "query": query,
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
    editable = document.workflow_instance.current_state.kind in EDITABLE_KINDS
    revisable = document.workflow_instance.current_state.kind == StateKind.EFFECTIVE
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "detail": detail,
            "panel": workflow_panel(request, document, detail.workflow),
            "can_edit": user.has_qms_permission("documents.edit") and not document.workflow_instance.current_state.is_terminal,
            "can_add_version": user.has_qms_permission("documents.create") and (editable or revisable),
            "revisable": revisable,
            "can_download": user.has_qms_permission("documents.download"),
            "can_view_audit": user.has_qms_permission("audit.view"),
            "related": related_records("document", document, user),
        },
    )


@permission_required("documents.download")
def document_download(request, pk):
    document = _document(request, pk)
    version = selectors.version_for_download(request.user, document, request.GET.get("version"))
    if version is None:
        raise Http404("No such version.")
    return download_response(actor=request.user, document=document, version=version)


@permission_required("documents.download")
def document_controlled_copy(request, pk):
    """The "Print controlled copy" button: the stamped, numbered PDF, opened in the browser."""
    document = _document(request, pk)
    try:
        copy, pdf = copies.issue_copy(actor=request.user, document=document, version_label=request.GET.get("version"))
    except DomainError as exc:
        messages.error(request, message_for(exc))
        return redirect("documents:detail", pk=pk)
    return copy_response(copy, pdf, inline=True)


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
