"""Pages: deviations (list with filters and badges, report through the active form, detail with
the workflow kit's panel, answers by section, attachments, related items both ways and recurrence,
the investigation form, links and attachments added), the deviation form list, the form editor for
QA Managers (sections and fields added, changed, reordered and removed; preview as the reporter
sees it; publish), and the picker search the htmx pickers call. Every change goes through
deviations.services, like the API; approve and transitions are the workflow kit's pages."""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from qms import files
from qms.errors import DomainError, InvalidInputs
from qms.pages import filtered_page, message_for, permission_required
from qms.permissions import has
from workflows.views import workflow_panel

from . import definition as d
from . import limits, pickers, selectors, services, usage
from .downloads import attachment_response
from .filters import DeviationFilter
from .forms import (
    AnswersForm,
    AttachmentsForm,
    DetailsForm,
    DeviationEditForm,
    DeviationFilterForm,
    FieldForm,
    LinkForm,
    NewFormTemplateForm,
    PublishForm,
    ReasonForm,
    ReportAttachmentsForm,
    SectionForm,
)
from .forms_engine import validate_answers
from .links import LINK_TYPES, raise_actions
from .models import FILE_TYPES, FieldType, FormStatus, Severity
from .permissions import CREATE, EDIT, READ, VIEW
from .permissions import MANAGE_FORMS as MANAGE

PAGE_SIZE = 25
SEVERITY_BADGES = {
    Severity.LOW: "",
    Severity.MEDIUM: "badge-warn",
    Severity.HIGH: "badge-danger",
    Severity.CRITICAL: "badge-danger",
}


def reader_page(view):
    """Deviation pages for reporters (their own) and holders of deviations.view (all): the login
    page for anonymous users, 403 for others."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (has(request.user, VIEW) or has(request.user, CREATE)):
            raise PermissionDenied("You need the 'deviations.view' or 'deviations.create' permission to open this page.")
        return view(request, *args, **kwargs)

    return wrapped


def _deviation(request, pk):
    return get_object_or_404(selectors.deviation_detail_queryset(request.user), pk=pk)


# --- deviations ------------------------------------------------------------------------------------------


@reader_page
def deviation_list(request):
    queryset = selectors.deviation_list(request.user).order_by("-created_at", "-pk")
    page, query = filtered_page(request, DeviationFilter, queryset, page_size=PAGE_SIZE)
    for deviation in page:  # `overdue` comes with the rows (selectors.deviation_list)
        deviation.severity_badge = SEVERITY_BADGES.get(deviation.severity, "")
    return render(
        request,
        "deviations/list.html",
        {
            "page": page,
            "filter_form": DeviationFilterForm(request.GET or None),
            "query": query,
            "can_report": has(request.user, CREATE),
            "sees_all": selectors.sees_all(request.user),
        },
    )


def _shown_suggestion(raw: str | None) -> dict | None:
    """The severity suggestion the report form showed (a JSON object in a hidden input), if any."""
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@permission_required(CREATE)
def deviation_report(request):
    """The active report form (plain fields work without JavaScript) and further attachments."""
    version = selectors.active_form_template()
    if version is None:
        messages.error(request, "No deviation report form is active: a QA Manager publishes one.")
        return redirect("deviations:list")
    answers_form = AnswersForm(request.POST or None, request.FILES or None, version=version)
    extra = ReportAttachmentsForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        try:
            files.check_request_size(request.META.get("CONTENT_LENGTH"))
            if answers_form.is_valid() and extra.is_valid():
                deviation = services.report_deviation(
                    actor=request.user,
                    form_data=answers_form.form_data(),
                    files_by_field=answers_form.files_data(),
                    attachments=request.FILES.getlist("attachments"),
                    severity_suggestion=_shown_suggestion(request.POST.get("severity_suggestion")),
                )
                messages.success(request, f"{deviation.number} reported. QA has been told; you can follow it here.")
                return redirect(deviation.get_absolute_url())
        except DomainError as exc:
            loc = exc.problems[0][0] if isinstance(exc, InvalidInputs) else exc.extra.get("loc") or []
            if loc[:1] == ["attachments"]:
                extra.add_error("attachments", message_for(exc))
            else:
                answers_form.add_problems(exc)
    return render(
        request,
        "deviations/report.html",
        {
            "answers_form": answers_form,
            "extra_form": extra,
            "version": version,
            # A form with its own image or file fields needs no second place for files.
            "show_extra": extra.errors or not any(spec["type"] in FILE_TYPES for _, spec in version.fields()),
        },
        status=422 if request.method == "POST" else 200,
    )


@reader_page
def deviation_detail(request, pk):
    deviation = _deviation(request, pk)
    detail = selectors.deviation_detail(deviation, request.user)
    kind = deviation.workflow_instance.current_state.kind
    user = request.user
    can_edit = has(user, EDIT) and kind in services.CONTENT_EDITABLE_KINDS
    can_link = has(user, EDIT) and kind not in services.READ_ONLY_KINDS
    return render(
        request,
        "deviations/detail.html",
        {
            "deviation": deviation,
            "detail": detail,
            "overdue": selectors.is_overdue(deviation),
            "severity_badge": SEVERITY_BADGES.get(deviation.severity, ""),
            "panel": workflow_panel(request, deviation, detail.workflow),
            "can_edit": can_edit,
            "can_link": can_link,
            "link_form": LinkForm(),
            "link_types": [
                (name, kind.label, kind.available, kind.picker.unavailable_reason) for name, kind in LINK_TYPES.items()
            ],
            "attachments_form": AttachmentsForm(),
            "can_view_audit": has(user, "audit.view") or has(user, "signatures.view"),
            "raise_actions": raise_actions(deviation, user),
        },
    )


@permission_required(EDIT)
def deviation_edit(request, pk):
    deviation = _deviation(request, pk)
    initial = DeviationEditForm.initial_for(deviation)
    form = DeviationEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_deviation(
                actor=request.user,
                deviation=deviation,
                changes=form.changes(),
                reason=form.cleaned_data["reason"],
                row_version=form.cleaned_data["row_version"],
            )
        except InvalidInputs as exc:
            for loc, msg, _ in exc.problems:
                form.add_error(loc[0] if loc and loc[0] in form.fields else None, msg)
        except DomainError as exc:
            form.add_error(getattr(exc, "field", None) if getattr(exc, "field", None) in form.fields else None, message_for(exc))
        else:
            messages.success(request, f"{deviation.number} saved.")
            return redirect(deviation.get_absolute_url())
    return render(request, "deviations/edit.html", {"deviation": deviation, "form": form})


@require_POST
@permission_required(EDIT)
def deviation_link(request, pk):
    deviation = _deviation(request, pk)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not linked: " + _form_errors(form))
        return redirect(deviation.get_absolute_url() + "#related")
    data = form.cleaned_data
    try:
        link = services.link_record(
            actor=request.user,
            deviation=deviation,
            target_type=data["target_type"],
            target=data["target"],
            version=data["version"] or None,
            reason=data["reason"],
        )
    except DomainError as exc:
        messages.error(request, f"Not linked: {_problems_text(exc)}")
    else:
        messages.success(request, f"{deviation.number} is now linked to {link.target_number}.")
    return redirect(deviation.get_absolute_url() + "#related")


@require_POST
@permission_required(EDIT)
def deviation_unlink(request, pk, link_id):
    deviation = _deviation(request, pk)
    link = get_object_or_404(deviation.links.all(), pk=link_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not unlinked: a reason is required.")
    else:
        try:
            services.unlink_record(actor=request.user, deviation=deviation, link=link, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, f"Not unlinked: {message_for(exc)}")
        else:
            messages.success(request, f"The link to {link.target_number} was removed (it stays on record).")
    return redirect(deviation.get_absolute_url() + "#related")


@require_POST
@permission_required(EDIT)
def deviation_attach(request, pk):
    deviation = _deviation(request, pk)
    try:
        files.check_request_size(request.META.get("CONTENT_LENGTH"))
        form = AttachmentsForm(request.POST, request.FILES)
        form.is_valid()
        services.add_attachments(
            actor=request.user,
            deviation=deviation,
            uploads=request.FILES.getlist("files"),
            description=form.cleaned_data.get("description") or "",
        )
    except DomainError as exc:
        messages.error(request, f"Not attached: {_problems_text(exc)}")
    else:
        messages.success(request, "Attached.")
    return redirect(deviation.get_absolute_url() + "#attachments")


@reader_page
def attachment_download(request, pk, attachment_id):
    deviation = _deviation(request, pk)
    return attachment_response(request.user, deviation, get_object_or_404(deviation.attachments.all(), pk=attachment_id))


@require_GET
@permission_required(EDIT)
def link_target_search(request):
    """htmx: records of the chosen kind the user may link, as buttons that fill the link form's number."""
    kind = LINK_TYPES.get(request.GET.get("target_type", ""))
    if kind is None:
        raise Http404("No such kind of record.")
    query = request.GET.get("q", "")[: limits.SEARCH]
    picker = kind.picker
    return render(
        request,
        "deviations/picker_results.html",
        {
            "results": picker.search(request.user, query) if picker.available else [],
            "picker": picker,
            "query": query,
            "target": "target",
        },
    )


def _form_errors(form) -> str:
    return "; ".join(f"{form.fields[f].label or f if f in form.fields else f}: {' '.join(e)}" for f, e in form.errors.items())


# --- report forms ------------------------------------------------------------------------------------------


def _template(request, pk):
    return get_object_or_404(selectors.form_template_list(request.user), pk=pk)


def _problems_text(exc: DomainError) -> str:
    if isinstance(exc, InvalidInputs):
        return " ".join(f"{_where(loc)}{msg}" for loc, msg, _ in exc.problems)
    return message_for(exc)


def _where(loc: list) -> str:
    """ "sections.1.fields.0.options" → "Section 2, field 1, options: " (what an editor recognises)."""
    parts, out = list(loc), []
    while parts:
        head = parts.pop(0)
        if head in ("sections", "fields") and parts and isinstance(parts[0], int):
            out.append(f"{head[:-1]} {parts.pop(0) + 1}")
        else:
            out.append(str(head).replace("_", " "))
    return (", ".join(out).capitalize() + ": ") if out else ""


@permission_required(MANAGE)
def form_template_list(request):
    form = NewFormTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.create_form_template(actor=request.user, definition={**form.cleaned_data, "sections": []})
        except DomainError as exc:
            form.add_error("name" if exc.error_code == "NAME_TAKEN" else None, _problems_text(exc))
        else:
            messages.success(request, f"{template} created as a draft: add its sections and fields.")
            return redirect("deviations:form-template-editor", pk=template.pk)
    latest = selectors.latest_versions(request.user)
    counts = usage.usage_counts(t.pk for t in latest)
    for template in latest:
        template.usage_count = counts[template.pk]
    return render(
        request,
        "deviations/form_template_list.html",
        {"forms": latest, "active": selectors.active_form_template(), "new_form": form},
    )


def _editor_context(request, template, **bound_forms) -> dict:
    latest = selectors.latest_version(template)
    versions = list(selectors.family_versions(template))
    counts = usage.usage_counts(v.pk for v in versions)
    for version in versions:
        version.usage_count = counts.get(version.pk, 0)
    sections = [
        {
            **section,
            "rows": [
                {
                    "spec": spec,
                    "type_label": FieldType(spec["type"]).label,
                    "form": bound_forms.get(f"field:{spec['key']}")
                    or FieldForm(initial=FieldForm.initial_for(spec), prefix=f"f-{spec['key']}"),
                }
                for spec in section["fields"]
            ],
        }
        for section in template.sections
    ]
    return {
        "template": template,
        "template_usage": counts.get(template.pk, 0),
        "sections": sections,
        "versions": versions,
        "is_latest": latest.pk == template.pk,
        "latest": latest,
        "edits_make_new_version": template.status != FormStatus.DRAFT or counts.get(template.pk, 0) > 0,
        "details_form": bound_forms.get("details")
        or DetailsForm(initial={"name": template.name, "description": template.description}),
        "section_form": bound_forms.get("add_section") or SectionForm(prefix="new-section"),
        "field_form": bound_forms.get("add_field") or FieldForm(prefix="new-field", initial={"type": FieldType.TEXT}),
        "publish_form": bound_forms.get("publish") or PublishForm(),
    }


@permission_required(MANAGE)
def form_template_editor(request, pk):
    template = _template(request, pk)
    return render(request, "deviations/form_template_editor.html", _editor_context(request, template))


# Editor operations: (form class, form prefix, how the posted form changes the definition).
def _op_details(definition, form, post):
    return {**definition, **form.cleaned_data}


def _op_add_section(definition, form, post):
    return d.add_section(definition, form.cleaned_data)


def _op_update_section(definition, form, post):
    return d.update_section(definition, post.get("section", ""), form.cleaned_data)


def _op_add_field(definition, form, post):
    return d.add_field(definition, post.get("section", ""), form.spec())


def _op_update_field(definition, form, post):
    return d.update_field(definition, post.get("field", ""), form.spec())


OPERATIONS = {
    "details": (DetailsForm, None, _op_details),
    "add_section": (SectionForm, "new-section", _op_add_section),
    "update_section": (SectionForm, "section", _op_update_section),
    "add_field": (FieldForm, "new-field", _op_add_field),
    "update_field": (FieldForm, None, _op_update_field),
    "remove_section": (None, None, lambda definition, form, post: d.remove_section(definition, post.get("section", ""))),
    "remove_field": (None, None, lambda definition, form, post: d.remove_field(definition, post.get("field", ""))),
    "move_section": (None, None, lambda definition, form, post: d.move_section(definition, post.get("section", ""), _step(post))),
    "move_field": (None, None, lambda definition, form, post: d.move_field(definition, post.get("field", ""), _step(post))),
}


def _step(post) -> int:
    return -1 if post.get("direction") == "up" else 1


@require_POST
@permission_required(MANAGE)
def form_template_edit(request, pk):
    """One editing step on the latest version; saved through update_form_template (which makes a new
    draft version when this one is published or in use)."""
    template = _template(request, pk)
    op = request.POST.get("op", "")
    if op not in OPERATIONS:
        raise Http404("No such editing step.")
    form_class, prefix, apply = OPERATIONS[op]
    if op == "update_field":
        prefix = f"f-{request.POST.get('field', '')}"
    form = form_class(request.POST, prefix=prefix) if form_class else None
    bound_key = f"field:{request.POST.get('field', '')}" if op == "update_field" else op
    if form is not None and not form.is_valid():
        if op == "update_section":
            messages.error(
                request,
                "Not saved: " + " ".join(f"{name.replace('_', ' ')}: {' '.join(errors)}" for name, errors in form.errors.items()),
            )
            return redirect("deviations:form-template-editor", pk=template.pk)
        return _editor_with_errors(request, template, {bound_key: form})
    try:
        changed = apply(d.definition_of(template), form, request.POST)
        if op in ("add_field", "update_field"):
            _check_field(form, changed)
        saved = services.update_form_template(
            actor=request.user,
            template=template,
            definition=changed,
            row_version=_int(request.POST.get("row_version")),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        if form is not None and form.errors:
            return _editor_with_errors(request, template, {bound_key: form})
        messages.error(request, f"Not saved: {_problems_text(exc)}")
        return redirect("deviations:form-template-editor", pk=template.pk)
    if saved.pk != template.pk:
        messages.success(
            request,
            f"Saved as draft v{saved.version}: {template} stays as it was"
            + (" and remains the reporting form until you publish the draft." if template.is_active else "."),
        )
    else:
        messages.success(request, "Saved.")
    return redirect(reverse("deviations:form-template-editor", args=[saved.pk]) + _anchor(op, request.POST, form))


def _check_field(form, changed: dict) -> None:
    """Puts the definition problems of the field being added or changed next to its inputs."""
    key = form.cleaned_data["key"]
    locs = [
        ["sections", s_index, "fields", f_index]
        for s_index, section in enumerate(changed["sections"])
        for f_index, spec in enumerate(section["fields"])
        if spec.get("key") == key
    ]
    for problem_loc, msg, _ in d.definition_problems(changed):
        if problem_loc[:4] in locs:
            attr = problem_loc[4] if len(problem_loc) > 4 else None
            form.add_error(attr if attr in form.fields else None, msg)
    if form.errors:
        raise InvalidInputs([(locs[-1], "The field has problems.", "value_error")])


def _editor_with_errors(request, template, bound_forms: dict):
    messages.error(request, "Not saved: see the messages next to the inputs.")
    context = _editor_context(request, template, **bound_forms)
    context["open_form"] = next(iter(bound_forms))
    return render(request, "deviations/form_template_editor.html", context, status=422)


def _anchor(op: str, post, form) -> str:
    if op in ("add_field", "update_field", "move_field") and form is not None:
        return f"#field-{form.cleaned_data['key']}"
    if op == "move_field":
        return f"#field-{post.get('field', '')}"
    if op in ("move_section", "update_section"):
        return f"#section-{post.get('section', '')}"
    return ""


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


@require_POST
@permission_required(MANAGE)
def form_template_publish(request, pk):
    template = _template(request, pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            services.publish_form_template(
                actor=request.user,
                template=template,
                reason=form.cleaned_data["reason"],
                row_version=_int(request.POST.get("row_version")),
            )
        except DomainError as exc:
            messages.error(request, f"Not published: {_problems_text(exc)}")
        else:
            messages.success(request, f"{template} is now the deviation report form.")
        return redirect("deviations:form-template-editor", pk=template.pk)
    return _editor_with_errors(request, template, {"publish": form})


@permission_required(MANAGE)
def form_template_preview(request, pk):
    """The form as the reporter will see it; "Check answers" runs the same checks as a report (nothing is stored)."""
    template = _template(request, pk)
    form = AnswersForm(request.POST or None, request.FILES or None, version=template)
    checked = False
    if request.method == "POST":
        try:
            files.check_request_size(request.META.get("CONTENT_LENGTH"))
            if form.is_valid():
                validate_answers(version=template, form_data=form.form_data(), files=form.files_data(), user=request.user)
                checked = True
        except DomainError as exc:
            form.add_problems(exc)
    return render(
        request,
        "deviations/form_template_preview.html",
        {"template": template, "answers_form": form, "checked": checked},
        status=422 if request.method == "POST" and not checked else 200,
    )


@require_GET
def picker_search(request, field_type):
    """htmx: records the user may view whose number or title contains `q`, as buttons that fill the picker `target`."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not any(request.user.has_qms_permission(c) for c in READ):
        raise PermissionDenied("You need the 'deviations.view' or 'deviations.create' permission to pick records.")
    if field_type not in (FieldType.DOCUMENT_PICKER, FieldType.CAPA_PICKER):
        raise Http404("No such picker.")
    picker = pickers.picker_for(field_type)
    query = request.GET.get("q", "")[: limits.SEARCH]
    return render(
        request,
        "deviations/picker_results.html",
        {
            "results": picker.search(request.user, query) if picker.available else [],
            "picker": picker,
            "query": query,
            "target": request.GET.get("target", ""),
        },
    )
