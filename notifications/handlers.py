"""The triggers: domain events turned into notifications through `services.notify` (registered from
NotificationsConfig.ready; each runs after the business write committed, in its own transaction,
and is idempotent through the notification's dedupe key).

- `<rt>.transitioned` of every controlled record type (documents, deviations, CAPAs, ...): the
  approvers the record now waits for get "approval needed"; entering a rejected state tells the authors.
- `<rt>.approval_given`: the authors hear of each approval.
- `training.assigned`, `training.overdue`: the trainee.
- `deviation.assigned`: the new owner.
- `capa.*` (CAPA events by name, read from their data: number, title, owner_id, action_id,
  due_date): created (the owner, and who may approve the draft), draft approved, action assigned,
  effectiveness review due, closed.
"""

from __future__ import annotations

import datetime
import logging

from django.urls import NoReverseMatch, reverse

from qms.events import OutboxEvent, catalogue, register_handler
from workflows import records

from . import recipients as who
from .kinds import NotificationType, Priority
from .services import notify

logger = logging.getLogger("qms.notifications")


def register() -> None:
    """Subscribes the handlers to the events that exist (called from AppConfig.ready)."""
    known = catalogue()
    for resource_type in records.registered():
        if resource_type == "capa":
            continue  # handled by the capa.* handler below
        if f"{resource_type}.transitioned" in known:
            register_handler(f"{resource_type}.transitioned", on_transitioned, name=f"notifications.{resource_type}_transitioned")
        if f"{resource_type}.approval_given" in known:
            register_handler(f"{resource_type}.approval_given", on_approval_given, name=f"notifications.{resource_type}_approved")
    for name, handler in (
        ("training.assigned", on_training_assigned),
        ("training.overdue", on_training_overdue),
        ("deviation.assigned", on_deviation_assigned),
    ):
        if name in known:
            register_handler(name, handler, name=f"notifications.{name.replace('.', '_')}")
    # CAPA events are handled by name from their data, so this works whenever the capa app is installed.
    if any(name.startswith("capa.") for name in known):
        register_handler("capa.*", on_capa_event, name="notifications.capa")


# --- controlled records (workflow kit events) -----------------------------------------------------------


def on_transitioned(event: OutboxEvent) -> None:
    record_type, record = who.record_of(event.resource_type, event.resource_id)
    if record is None:
        return
    label = who.display(record_type, record)
    link = record_type.detail_url(record)
    target = (event.resource_type, event.resource_id)
    data = event.data
    instance = record_type.instance_of(record)
    if data.get("state_kind") == "rejected":
        notify(
            recipients=who.authors_of(record_type, record),
            type=NotificationType.APPROVAL_REJECTED,
            title=f"{label} was rejected",
            body=_comment(f"{event.actor_username or 'Someone'} moved {label} to {data.get('to_state')}.", data),
            link=link,
            record=target,
            event=event,
            key_extra=str(event.pk),
        )
        return
    if instance is None or instance.current_state.name != data.get("to_state"):
        return  # the record has moved on since; whoever it waits for now was told by that later event
    approvers = who.pending_approvers(record_type, record)
    if approvers:
        notify(
            recipients=approvers,
            type=NotificationType.APPROVAL_NEEDED,
            title=f"{label} waits for your approval",
            body=f"{record_type.label} {label} is in {data.get('to_state')} and needs your approval.",
            link=link,
            record=target,
            event=event,
            key_extra=f"{instance.pk}-{instance.state_entry}",
        )


def on_approval_given(event: OutboxEvent) -> None:
    record_type, record = who.record_of(event.resource_type, event.resource_id)
    if record is None:
        return
    label = who.display(record_type, record)
    authors = [uid for uid in who.authors_of(record_type, record) if uid != event.actor_id]
    notify(
        recipients=authors,
        type=NotificationType.APPROVAL_GIVEN,
        title=f"{label} approved by {event.actor_username or 'an approver'}",
        body=_comment(f"Approval in state {event.data.get('state')} ({event.data.get('rule') or 'rule'}).", event.data),
        link=record_type.detail_url(record),
        record=(event.resource_type, event.resource_id),
        event=event,
        key_extra=str(event.data.get("approval_id") or event.pk),
    )


def _comment(text: str, data: dict) -> str:
    return f"{text}\n\nComment: {data['comment']}" if data.get("comment") else text


# --- training and deviations ------------------------------------------------------------------------------


def _program_title(program_id) -> str:
    from training.models import TrainingProgram

    return TrainingProgram.objects.filter(pk=program_id).values_list("title", flat=True).first() or "Training"


def _page(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def on_training_assigned(event: OutboxEvent) -> None:
    data = event.data
    if data.get("user_id") == event.actor_id:
        return  # registered themselves
    title = _program_title(data.get("program_id"))
    due = _date(data.get("due_date"))
    notify(
        recipients=[data.get("user_id")],
        type=NotificationType.TRAINING_ASSIGNED,
        title=f"Training assigned: {title}",
        body=f"Complete it by {due.isoformat()}." if due else "",
        link=_page("training:my"),
        record=(event.resource_type, event.resource_id),
        event=event,
    )


def on_training_overdue(event: OutboxEvent) -> None:
    from .reminders import training_overdue

    data = event.data
    training_overdue(
        user_id=data.get("user_id"),
        assignment_id=event.resource_id,
        resource_type=event.resource_type,
        title=_program_title(data.get("program_id")),
        due=_date(data.get("due_date")),
        event=event,
    )


def on_deviation_assigned(event: OutboxEvent) -> None:
    owner_id = event.data.get("owner_id")
    if not owner_id or owner_id == event.actor_id:
        return
    record_type, record = who.record_of(event.resource_type, event.resource_id)
    if record is None:
        return
    label = who.display(record_type, record)
    notify(
        recipients=[owner_id],
        type=NotificationType.DEVIATION_ASSIGNED,
        title=f"{label} assigned to you: {record.title}"[:200],
        body=f"Due {record.due_date.isoformat()}." if getattr(record, "due_date", None) else "",
        link=record_type.detail_url(record),
        record=(event.resource_type, event.resource_id),
        event=event,
        key_extra=str(owner_id),
    )


# --- CAPA (by event name; the capa app is not imported) ------------------------------------------------------

CAPA_EVENTS = {
    "capa.created": NotificationType.CAPA_CREATED,
    "capa.draft_approved": NotificationType.CAPA_DRAFT_APPROVED,
    "capa.action_assigned": NotificationType.CAPA_ACTION_ASSIGNED,
    "capa.effectiveness_due": NotificationType.EFFECTIVENESS_DUE,
    "capa.closed": NotificationType.CAPA_CLOSED,
}


def on_capa_event(event: OutboxEvent) -> None:
    if event.name in ("capa.transitioned", "capa.approval_given"):
        (on_transitioned if event.name == "capa.transitioned" else on_approval_given)(event)
        return
    kind = CAPA_EVENTS.get(event.name)
    if kind is None:
        return
    data = event.data
    capa_id = data.get("capa_id") or (event.resource_id if event.resource_type == "capa" else None)
    link = who.record_link("capa", capa_id)
    number = data.get("number") or f"CAPA {capa_id or ''}".strip()
    title = data.get("title") or ""
    record = ("capa", capa_id) if capa_id else (event.resource_type, event.resource_id)
    owner_id = data.get("owner_id")
    due = _date(data.get("due_date"))
    if kind == NotificationType.CAPA_ACTION_ASSIGNED:
        if owner_id and owner_id != event.actor_id:
            notify(
                recipients=[owner_id],
                type=kind,
                title=f"{number}: action assigned to you" + (f" ({data['action_title']})" if data.get("action_title") else ""),
                body=f"{title}\nDue {due.isoformat()}." if due else title,
                link=link,
                record=record,
                event=event,
                key_extra=f"action-{data.get('action_id')}",
            )
        return
    headline = {
        NotificationType.CAPA_CREATED: f"{number} created: {title}",
        NotificationType.CAPA_DRAFT_APPROVED: f"{number} draft approved",
        NotificationType.EFFECTIVENESS_DUE: f"{number}: effectiveness review due",
        NotificationType.CAPA_CLOSED: f"{number} closed",
    }[kind]
    extra = f"review-{data['review_id']}" if data.get("review_id") else ""
    recipients = [owner_id] if owner_id and (owner_id != event.actor_id or kind == NotificationType.EFFECTIVENESS_DUE) else []
    notify(
        recipients=recipients,
        type=kind,
        title=headline,
        body=title + (f"\nDue {due.isoformat()}." if due else ""),
        link=link,
        record=record,
        event=event,
        key_extra=extra,
        priority=Priority.HIGH if kind == NotificationType.EFFECTIVENESS_DUE else None,
    )
    if kind == NotificationType.CAPA_CREATED and data.get("status", "draft") in ("draft", "DRAFT", "Draft"):
        approvers = [u for u in who.holders_of("capa.approve_draft") if u.pk != event.actor_id]
        notify(
            recipients=approvers,
            type=NotificationType.APPROVAL_NEEDED,
            title=f"{number} draft waits for approval",
            body=title,
            link=link,
            record=record,
            event=event,
            key_extra="draft",
        )
