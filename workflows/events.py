"""Events of records that follow a workflow, emitted by the engine beside its audit records.

For a record type `<rt>` (e.g. `document`): `<rt>.transitioned` on every state change,
`<rt>.approval_given` for each approval, and `<rt>.<state kind>` (`document.in_review`,
`document.effective`, `deviation.closed`, ...) when a change enters a state of another kind.
`workflow_events(rt)` is the enum of those names; an app declares its own in its events.py
(`DocumentWorkflowEvent = workflow_events("document")`) so they are in the catalogue.

Each event's data is the engine's (workflow instance, transition, states, approval) plus what the
record type's `event_data(record, instance)` hook adds (e.g. a document's `version_id`); the
engine's keys win.
"""

from __future__ import annotations

from qms.events import EventName, emit

from . import records
from .models import Approval, StateKind, WorkflowHistory, WorkflowInstance

_ENUMS: dict[str, type[EventName]] = {}


def workflow_events(resource_type: str) -> type[EventName]:
    """The event enum of records of `resource_type` under a workflow (made once per type)."""
    if resource_type not in _ENUMS:
        members = {"TRANSITIONED": f"{resource_type}.transitioned", "APPROVAL_GIVEN": f"{resource_type}.approval_given"}
        members.update({kind.name: f"{resource_type}.{kind.value}" for kind in StateKind})
        class_name = "".join(part.capitalize() for part in resource_type.split("_")) + "WorkflowEvent"
        _ENUMS[resource_type] = EventName(class_name, members, module=__name__)
    return _ENUMS[resource_type]


def emit_state_change(resource_type: str, instance: WorkflowInstance, entry: WorkflowHistory, *, from_kind: str, to_kind: str):
    """`<rt>.transitioned`, and `<rt>.<to_kind>` when the state kind changes."""
    events = workflow_events(resource_type)
    data = {
        "workflow_instance": instance.pk,
        "transition": entry.transition_name,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "from_kind": from_kind,
        "state_kind": to_kind,
        "automatic": entry.is_automatic,
        "signature_id": entry.signature_id,
        "comment": entry.comment,
    }
    data = {**_record_data(instance), **data}
    record = (resource_type, instance.object_id)
    emit(events.TRANSITIONED, record, data=data, actor=entry.actor)
    if from_kind != to_kind:
        emit(events(f"{resource_type}.{to_kind}"), record, data=data, actor=entry.actor)


def emit_approval(resource_type: str, instance: WorkflowInstance, approval: Approval):
    emit(
        workflow_events(resource_type).APPROVAL_GIVEN,
        (resource_type, instance.object_id),
        data={
            **_record_data(instance),
            "workflow_instance": instance.pk,
            "approval_id": approval.pk,
            "state": approval.state.name,
            "rule": approval.rule_description,
            "signature_id": approval.signature_id,
            "comment": approval.comment,
        },
        actor=approval.approver,
    )


def _record_data(instance: WorkflowInstance) -> dict:
    """What the record type adds to its events (nothing unless it declares `event_data`)."""
    record_type = records.record_type_of_instance(instance)
    if record_type is None or record_type.event_data is None:
        return {}
    record = record_type.model._default_manager.get(pk=instance.object_id)
    return record_type.event_data(record, instance)
