"""Reminders, run by Celery beat (notifications.tasks.send_reminders): training assignments,
deviations and CAPA actions due soon or overdue, CAPA effectiveness reviews due, and controlled
documents whose periodic review is near.

Each reminder is keyed on the item's due date (`notify(day=due date)`), so an item gets one
"due soon" and one "overdue" notification per due date, however often the job runs, even twice
at once (the unique dedupe key decides); moving the due date reminds again. Reads go through the
domain apps' selectors.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from deviations import selectors as deviation_selectors
from deviations.models import Deviation
from documents.models import Document
from training import selectors as training_selectors

from . import recipients as who
from .kinds import NotificationType
from .services import notify

logger = logging.getLogger("qms.notifications")


@dataclass
class ReminderReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, notifications: list) -> None:
        if notifications:
            self.created[kind] = self.created.get(kind, 0) + len(notifications)

    @property
    def total(self) -> int:
        return sum(self.created.values())

    def __str__(self) -> str:
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.created.items())) or "none"
        return f"{self.total} reminder(s): {parts}"


def send_reminders(*, today: datetime.date | None = None) -> ReminderReport:
    today = today or timezone.localdate()
    report = ReminderReport()
    remind_training(today, report)
    remind_deviations(today, report)
    remind_capa_actions(today, report)
    remind_document_reviews(today, report)
    logger.info("Reminders for %s: %s", today, report)
    return report


def _page(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- training -----------------------------------------------------------------------------------------------


def training_overdue(*, user_id, assignment_id, resource_type: str, title: str, due, event=None) -> list:
    """The trainee's "overdue" notification (from the beat job and from the training.overdue event: one key)."""
    return notify(
        recipients=[user_id],
        type=NotificationType.TRAINING_OVERDUE,
        title=f"Training overdue: {title}",
        body=f"It was due {due.isoformat()}." if due else "",
        link=_page("training:my"),
        record=(resource_type, assignment_id),
        day=due,
        event=event,
    )


def remind_training(today: datetime.date, report: ReminderReport) -> None:
    for assignment in training_selectors.due_soon(None, on=today).iterator(chunk_size=500):
        report.add(
            NotificationType.TRAINING_DUE_SOON,
            notify(
                recipients=[assignment.user],
                type=NotificationType.TRAINING_DUE_SOON,
                title=f"Training due {assignment.due_date.isoformat()}: {assignment.program.title}",
                link=_page("training:my"),
                record=(assignment.audit_resource_type, assignment.pk),
                day=assignment.due_date,
            ),
        )
    for assignment in training_selectors.overdue(None, on=today).iterator(chunk_size=500):
        report.add(
            NotificationType.TRAINING_OVERDUE,
            training_overdue(
                user_id=assignment.user_id,
                assignment_id=assignment.pk,
                resource_type=assignment.audit_resource_type,
                title=assignment.program.title,
                due=assignment.due_date,
            ),
        )


# --- deviations ---------------------------------------------------------------------------------------------


def _deviation_recipients(deviation: Deviation, approvers: list) -> list:
    """The owner; an unowned deviation goes to those who may approve (close) deviations."""
    return [deviation.owner_id] if deviation.owner_id else approvers


def remind_deviations(today: datetime.date, report: ReminderReport) -> None:
    days = settings.NOTIFICATIONS_DUE_SOON_DAYS
    open_ = Deviation.objects.exclude(status__in=deviation_selectors.DONE_STATUSES).only(
        "pk", "number", "title", "due_date", "owner_id"
    )
    approvers: list | None = None
    for kind, rows in (
        (
            NotificationType.DEVIATION_DUE_SOON,
            open_.filter(due_date__gte=today, due_date__lte=today + datetime.timedelta(days=days)),
        ),
        (NotificationType.DEVIATION_OVERDUE, open_.filter(due_date__lt=today)),
    ):
        for deviation in rows.order_by("due_date", "pk").iterator(chunk_size=500):
            if not deviation.owner_id and approvers is None:
                approvers = who.holders_of("deviations.approve")
            overdue = kind == NotificationType.DEVIATION_OVERDUE
            when = "overdue" if overdue else f"due {deviation.due_date.isoformat()}"
            report.add(
                kind,
                notify(
                    recipients=_deviation_recipients(deviation, approvers or []),
                    type=kind,
                    title=f"{deviation.number} {when}: {deviation.title}"[:200],
                    body=f"It was due {deviation.due_date.isoformat()}." if overdue else "",
                    link=deviation.get_absolute_url(),
                    record=("deviation", deviation.pk),
                    day=deviation.due_date,
                ),
            )


# --- CAPA actions (when the capa app is installed) ----------------------------------------------------------


def _capa_action_model():
    if not apps.is_installed("capa"):
        return None
    try:
        return apps.get_model("capa", "CapaAction")
    except LookupError:
        return None


def remind_capa_actions(today: datetime.date, report: ReminderReport) -> None:
    """Open CAPA actions with an owner and a due date. Effectiveness reviews come as the capa app's
    capa.effectiveness_due events (notifications.handlers)."""
    model = _capa_action_model()
    if model is None:
        return
    names = {f.name for f in model._meta.get_fields()}
    if not {"owner", "due_date", "capa"} <= names:
        logger.warning("CAPA actions have no owner/due_date/capa fields; their reminders are skipped.")
        return
    actions = model._default_manager.filter(owner__isnull=False, due_date__isnull=False).select_related("capa")
    if "completed_at" in names:
        actions = actions.filter(completed_at__isnull=True)
    elif "status" in names:
        actions = actions.exclude(status__in=["completed", "done", "cancelled", "COMPLETED", "CANCELLED"])
    days = settings.NOTIFICATIONS_DUE_SOON_DAYS
    for kind, rows in (
        (
            NotificationType.CAPA_ACTION_DUE_SOON,
            actions.filter(due_date__gte=today, due_date__lte=today + datetime.timedelta(days=days)),
        ),
        (NotificationType.CAPA_ACTION_OVERDUE, actions.filter(due_date__lt=today)),
    ):
        for action in rows.order_by("due_date", "pk").iterator(chunk_size=500):
            capa = action.capa
            number = getattr(capa, "number", "") or f"CAPA {capa.pk}"
            overdue = kind == NotificationType.CAPA_ACTION_OVERDUE
            report.add(
                kind,
                notify(
                    recipients=[action.owner_id],
                    type=kind,
                    title=f"{number}: action {'overdue' if overdue else 'due ' + action.due_date.isoformat()}"
                    + (f" ({action.title})" if getattr(action, "title", "") else ""),
                    link=who.record_link("capa", capa.pk),
                    record=("capa", capa.pk),
                    day=action.due_date,
                    key_extra=f"action-{action.pk}",
                ),
            )


# --- periodic document review -------------------------------------------------------------------------------


def remind_document_reviews(today: datetime.date, report: ReminderReport) -> None:
    """Effective documents whose next review date (set from the document type's review period when
    a version becomes effective) falls within NOTIFICATIONS_REVIEW_DAYS_AHEAD, or has passed: their
    owner is told (without an owner, the holders of documents.edit)."""
    horizon = today + datetime.timedelta(days=settings.NOTIFICATIONS_REVIEW_DAYS_AHEAD)
    documents = (
        Document.objects.filter(effective_version__isnull=False, next_review_date__isnull=False, next_review_date__lte=horizon)
        .only("pk", "number", "title", "next_review_date", "owner_id")
        .order_by("next_review_date", "pk")
    )
    editors: list | None = None
    for document in documents.iterator(chunk_size=500):
        if not document.owner_id and editors is None:
            editors = who.holders_of("documents.edit")
        late = document.next_review_date < today
        report.add(
            NotificationType.DOCUMENT_REVIEW_DUE,
            notify(
                recipients=[document.owner_id] if document.owner_id else editors or [],
                type=NotificationType.DOCUMENT_REVIEW_DUE,
                title=f"{document.number} periodic review {'overdue since' if late else 'due'} "
                f"{document.next_review_date.isoformat()}: {document.title}"[:200],
                body="Review the document and either confirm it (a new review date) or revise it.",
                link=document.get_absolute_url(),
                record=("document", document.pk),
                day=document.next_review_date,
            ),
        )
