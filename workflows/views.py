"""Pages of the controlled-record kit, for every registered record type (workflows.records):

- `workflow_panel(request, record)`: the context of workflows/includes/workflow_panel.html (state,
  approval progress, approve and transition buttons with the signature dialog, signatures,
  approvals, history), for the record's own detail page;
- approve and transition (the POSTs of the panel's dialogs and buttons), configure approval, and a
  workflow page, which an app mounts with `workflows.urls.record_urlpatterns("<resource_type>")`
  in its own URL namespace; they redirect to the record's get_absolute_url().

Every change goes through workflows.records_services, like the API.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audit.forms import SignatureForm
from qms.errors import DomainError, InvalidInputs
from qms.pages import message_for, permission_required
from qms.permissions import has

from . import records, records_services, selectors
from .forms import ConfigureApprovalForm, TransitionForm
from .models import WorkflowTransition


def workflow_panel(request, record, workflow: selectors.RecordWorkflow | None = None) -> dict:
    """Context for `{% include "workflows/includes/workflow_panel.html" with panel=panel %}`;
    `workflow` is the record's selectors.record_workflow(...) when the page already has it."""
    kind = records.record_type_for(record)
    user = request.user
    workflow = workflow or selectors.record_workflow(record, user)
    instance = kind.instance_of(record)
    can_approve, approve_blocker = False, ""
    if instance is not None and has(user, kind.approve_permission_for(instance)):
        try:
            records_services.check_can_approve(actor=user, record=record)
            can_approve = True
        except DomainError as exc:  # said only where an approval is awaited
            approve_blocker = message_for(exc) if workflow.workflow and workflow.workflow["approval"] else ""
    configurable = instance is not None and (
        kind.configurable_kinds is None or instance.current_state.kind in kind.configurable_kinds
    )
    namespace = kind.page_namespace
    return {
        "record": record,
        "display": kind.display(record),
        "workflow": workflow,
        "can_approve": can_approve,
        "approve_blocker": approve_blocker,
        "approve_url": reverse(f"{namespace}:approve", args=[record.pk]),
        "approve_intent": kind.approval_intent(record),
        "signature_type": kind.signature_type,
        "transition_url_name": f"{namespace}:transition",
        "can_configure": configurable and has(user, kind.configure_permission),
        "configure_url": reverse(f"{namespace}:configure-approval", args=[record.pk]),
    }


def _record_page(permission: str = "view_permission"):
    """A kit page: the record type from the URL, the page's permission of that type (login page for
    anonymous users, 403 without it), and the record as the user may see it (404 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, pk, *, resource_type, **kwargs):
            kind = records.record_type(resource_type)

            @permission_required(getattr(kind, permission))
            def guarded(request):
                record = get_object_or_404(kind.visible(request.user), pk=pk)
                return view(request, kind, record, **kwargs)

            return guarded(request)

        return wrapped

    return decorator


@require_POST
@_record_page()
def approve_page(request, kind, record):
    form = SignatureForm(request.POST, allowed_types=[kind.signature_type])
    if not form.is_valid():
        messages.error(request, "Approval not recorded: " + _errors(form))
        return redirect(kind.detail_url(record))
    data = form.cleaned_data
    try:
        record = records_services.approve_record(
            actor=request.user, record=record, password=data["password"], comment=data["reason"], intent=data["intent"]
        )
    except DomainError as exc:
        messages.error(request, f"Approval not recorded: {message_for(exc)}")
    else:
        messages.success(request, f"Approved with your electronic signature. Status: {_status(kind, record)}.")
    return redirect(kind.detail_url(record))


@require_POST
@_record_page()
def transition_page(request, kind, record, name):
    instance = kind.instance_of(record)
    needs_signature = (
        instance is not None
        and WorkflowTransition.objects.filter(
            template_id=instance.template_id, from_state_id=instance.current_state_id, name=name, requires_signature=True
        ).exists()
    )
    if needs_signature:
        form = SignatureForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Not done: " + _errors(form))
            return redirect(kind.detail_url(record))
        comment, password, intent = form.cleaned_data["reason"], form.cleaned_data["password"], form.cleaned_data["intent"]
    else:
        form = TransitionForm(request.POST)
        form.is_valid()
        comment, password, intent = form.cleaned_data.get("comment", ""), None, ""
    try:
        record = records_services.transition_record(
            actor=request.user, record=record, name=name, comment=comment, password=password, intent=intent
        )
    except DomainError as exc:
        messages.error(request, f"Not done: {message_for(exc)}")
    else:
        messages.success(request, f"{kind.display(record)} is now {_status(kind, record)}.")
    return redirect(kind.detail_url(record))


@_record_page(permission="configure_permission")
def configure_approval_page(request, kind, record):
    instance = kind.instance_of(record)
    states = selectors.approval_states(instance) if instance is not None else []
    form = ConfigureApprovalForm(request.POST or None, states=states)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            records_services.configure_record_approval(
                actor=request.user,
                record=record,
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
            field = getattr(exc, "field", None)
            form.add_error(field if field in form.fields else None, message_for(exc))
        else:
            messages.success(request, f"Approval rules saved for {kind.display(record)}.")
            return redirect(kind.detail_url(record))
    policies = [selectors.approval_policy(instance, state, with_progress=False) for state in states]
    return render(
        request,
        "workflows/configure_approval.html",
        {"record": record, "display": kind.display(record), "kind": kind, "form": form, "policies": policies},
    )


@_record_page()
def workflow_page(request, kind, record):
    """The record's workflow on a page of its own (state, actions, signatures, approvals, history)."""
    return render(
        request,
        "workflows/record_workflow.html",
        {"record": record, "kind": kind, "display": kind.display(record), "panel": workflow_panel(request, record)},
    )


def _status(kind, record) -> str:
    """in_review → "in review": the record's status, else its workflow state."""
    status = getattr(record, "status", "") or getattr(kind.instance_of(record), "current_state", None)
    return str(getattr(status, "name", status) or "").replace("_", " ")


def _errors(form) -> str:
    return "; ".join(f"{form.fields[f].label if f in form.fields else f}: {' '.join(e)}" for f, e in form.errors.items())
