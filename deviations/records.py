"""Deviations as a controlled record type of the workflow kit (workflows.records).

The kit gives approve (closing: the QA Manager's electronic signature in QA review), transitions
(start investigation, submit for QA review, return to investigation, cancel and reopen with a
reason), approver configuration, the workflow status, history and signatures, the pages and the
numbers (DEV-2026-0001). What is particular to deviations is declared here:

- closing needs the root cause and its method and the CAPA decision (with its rationale when no
  CAPA is raised, and the CAPA linked when one is and the CAPA module is installed): a guard on
  entering the `closed` state, which refuses with 422 TRANSITION_BLOCKED naming what is missing;
- reporters see their own deviations, holders of deviations.view all of them;
- `closed_at` follows the workflow (set when closed, cleared when reopened).
"""

from __future__ import annotations

from django.utils import timezone

from workflows.models import StateKind
from workflows.records import register_record_type

from . import links, selectors
from .models import Deviation, Link

RESOURCE_TYPE = "deviation"
WORKFLOW_TEMPLATE = "Deviation handling"
# Approvers may be configured until the deviation goes to QA review.
CONFIGURABLE_KINDS = (StateKind.OPEN, StateKind.IN_PROGRESS)
LOCK_RELATED = ("category", "area", "reported_by", "owner", "form_version", "workflow_instance__current_state")


def closing_problems(*, actor, record: Deviation, instance, transition):
    """What a deviation still lacks to be closed, each located at the field to fill."""
    number = record.number
    if not record.root_cause.strip():
        yield (["root_cause"], f"{number} cannot be closed without its root cause.")
    if not record.root_cause_method:
        yield (["root_cause_method"], f"{number} cannot be closed without the root cause method (5 Whys, fishbone, other).")
    if record.capa_required is None:
        yield (["capa_required"], f"{number} cannot be closed before deciding whether a CAPA is required.")
    elif record.capa_required is False and not record.capa_decision_rationale.strip():
        yield (["capa_decision_rationale"], f"{number} cannot be closed without the rationale for raising no CAPA.")
    elif record.capa_required and links.LINK_TYPES["capa"].available:
        # Linked from this deviation, or by a CAPA raised for it (its backlinks).
        linked = Link.objects.filter(deviation=record, target_type="capa", removed_at__isnull=True).exists() or any(
            row["type"] == "capa" for row in links.backlinks(record, None)
        )
        if not linked:
            yield (["links"], f"{number} needs a CAPA: link the CAPA raised for it before closing.")


def follow_workflow(record: Deviation, outcome, actor) -> None:
    """The deviation's status is its workflow state; closing stamps `closed_at`, reopening clears it."""
    state = outcome.instance.current_state
    record.status = state.name
    record.closed_at = timezone.now() if state.kind == StateKind.CLOSED else None
    record.row_version += 1
    record.save(update_fields=["status", "closed_at", "row_version", "updated_at"])


def _transition_intent(deviation: Deviation, transition) -> str:
    return f"{transition.label}: {deviation.number} ({deviation.title})."


def register() -> None:
    register_record_type(
        Deviation,
        resource_type=RESOURCE_TYPE,
        label="Deviation",
        view_permission="deviations.view",
        approve_permission="deviations.approve",
        configure_permission="deviations.edit",
        number_prefix="DEV",
        workflow_template=WORKFLOW_TEMPLATE,
        configurable_kinds=CONFIGURABLE_KINDS,
        state_guards={"closed": [closing_problems]},
        lock_related=LOCK_RELATED,
        approval_intent=lambda deviation: f"I approve the closure of {deviation.number} ({deviation.title}).",
        transition_intent=_transition_intent,
        sync=follow_workflow,
        visible=selectors.visible_deviations,
    )
