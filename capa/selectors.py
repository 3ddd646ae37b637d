"""Reads about CAPAs that the API, the pages, the admin and the dashboard share, each in a fixed
number of queries (whatever the page size, the number of actions, reviews or links).

Visibility: holders of capa.view see every CAPA; holders of capa.work the CAPAs they own or hold an
action in; nobody else sees any.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Exists, ExpressionWrapper, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from qms.permissions import has
from workflows.records import record_type
from workflows.selectors import RecordWorkflow, record_workflow, records_awaiting_approval

from .defaults import DONE_STATUSES, STATE_LABELS
from .models import PRIORITY_RANK, ActionStatus, Attachment, Capa, CapaAction, CapaDeviation, EffectivenessReview, ReviewResult

VIEW, WORK, APPROVE_DRAFT = "capa.view", "capa.work", "capa.approve_draft"
# Long texts a list row never shows.
_LIST_DEFERRED = ("description", "root_cause")


# --- visibility -----------------------------------------------------------------------------------------


def visible_capas(user) -> QuerySet[Capa]:
    """The CAPAs `user` may see (None: the system sees all), with the owner joined in."""
    qs = Capa.objects.select_related("owner")
    if user is None or has(user, VIEW):
        return qs
    if has(user, WORK):
        return qs.filter(Q(owner=user) | Exists(CapaAction.objects.filter(capa=OuterRef("pk"), owner=user)))
    return qs.none()


def sees_all(user) -> bool:
    return has(user, VIEW)


def with_priority_rank(qs: QuerySet[Capa]) -> QuerySet[Capa]:
    """Adds `priority_rank` (low 1 … critical 4) so lists sort by priority, not alphabetically."""
    return qs.annotate(
        priority_rank=Case(
            *[When(priority=priority, then=Value(rank)) for priority, rank in PRIORITY_RANK.items()],
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def with_overdue(qs: QuerySet[Capa], today: datetime.date | None = None) -> QuerySet[Capa]:
    """Adds `overdue`: past its due date and neither closed nor cancelled (is_overdue() in SQL)."""
    late = Q(due_date__lt=today or timezone.localdate()) & ~Q(status__in=DONE_STATUSES)
    return qs.annotate(overdue=ExpressionWrapper(late, output_field=BooleanField()))


def capa_list(user) -> QuerySet[Capa]:
    """The rows of lists: what a list row shows (owner joined, long texts deferred) and `overdue`.
    Sorting by priority needs `with_priority_rank()` on top (the API adds it when asked)."""
    return with_overdue(visible_capas(user)).defer(*_LIST_DEFERRED)


def capa_detail_queryset(user) -> QuerySet[Capa]:
    return visible_capas(user).select_related("created_by", "workflow_instance__current_state", "workflow_instance__template")


def is_overdue(capa: Capa, today: datetime.date | None = None) -> bool:
    return capa.status not in DONE_STATUSES and capa.due_date < (today or timezone.localdate())


def state_label(status: str) -> str:
    return STATE_LABELS.get(status, status)


# --- detail -----------------------------------------------------------------------------------------------


@dataclass
class CapaDetail:
    actions: list[CapaAction]
    reviews: list[EffectivenessReview]
    deviations: list[dict]
    documents: list[dict]
    attachments: list[Attachment]
    workflow: RecordWorkflow


def capa_detail(capa: Capa, user) -> CapaDetail:
    """Everything a CAPA's page and API detail show besides its row, in a fixed number of queries."""
    attachments = list(capa.attachments.select_related("uploaded_by"))
    actions = list(capa.actions.select_related("owner", "completed_by", "created_by"))
    by_action: dict[int, list] = {}
    for attachment in attachments:
        if attachment.action_id:
            by_action.setdefault(attachment.action_id, []).append(attachment)
    for action in actions:
        action.evidence_files = by_action.get(action.pk, [])
        action.is_overdue = action.status == ActionStatus.OPEN and action.due_date < timezone.localdate()
    return CapaDetail(
        actions=actions,
        reviews=list(capa.effectiveness_reviews.select_related("reviewer", "created_by")),
        deviations=linked_deviations(capa, user),
        documents=linked_documents(capa),
        attachments=[a for a in attachments if not a.action_id],
        workflow=record_workflow(capa, user),
    )


def linked_deviations(capa: Capa, user) -> list[dict]:
    """The deviations this CAPA addresses: its own links (removed ones too) and the links deviations
    hold to it (their "CAPA raised" decision); each says whether `user` may open the deviation.
    Two queries plus one for the deviations `user` may view."""
    from deviations.models import Link
    from deviations.selectors import visible_deviations

    own = list(capa.deviation_links.select_related("deviation", "created_by", "removed_by"))
    held = list(
        Link.objects.filter(target_type="capa", target_id=capa.pk, removed_at__isnull=True)
        .select_related("deviation", "created_by")
        .order_by("pk")
    )
    ids = {link.deviation_id for link in own} | {link.deviation_id for link in held}
    viewable = set(visible_deviations(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    rows = [
        {
            "id": link.pk,
            "held_by": "capa",
            "deviation_id": link.deviation_id,
            "number": link.deviation.number,
            "title": link.deviation.title,
            "status": link.deviation.status,
            "reason": link.reason,
            "accessible": link.deviation_id in viewable,
            "linked_by": link.created_by,
            "linked_at": link.created_at,
            "removed_at": link.removed_at,
            "removed_by": link.removed_by,
            "removal_reason": link.removal_reason,
        }
        for link in own
    ]
    shown = {link.deviation_id for link in own if link.removed_at is None}
    rows += [
        {
            "id": link.pk,
            "held_by": "deviation",
            "deviation_id": link.deviation_id,
            "number": link.deviation.number,
            "title": link.deviation.title,
            "status": link.deviation.status,
            "reason": link.reason,
            "accessible": link.deviation_id in viewable,
            "linked_by": link.created_by,
            "linked_at": link.created_at,
            "removed_at": None,
            "removed_by": None,
            "removal_reason": "",
        }
        for link in held
        if link.deviation_id not in shown
    ]
    return rows


def linked_documents(capa: Capa) -> list[dict]:
    return [
        {
            "version_id": link.version_id,
            "document_id": link.version.document_id,
            "number": link.version.document.number,
            "title": link.version.document.title,
            "version": link.version.version,
            "status": link.version.status,
            "linked_at": link.created_at,
        }
        for link in capa.document_links.select_related("version__document")
    ]


def capas_of_deviation(deviation, user) -> list[dict]:
    """Backlinks for the deviation's page (deviations.links.register_backlinks): the CAPAs `user`
    may see that link to the deviation, with their status (one query). `user` None: every CAPA."""
    links = (
        CapaDeviation.objects.filter(deviation=deviation, removed_at__isnull=True)
        .filter(capa__in=visible_capas(user).values("pk"))
        .select_related("capa", "created_by")
        .order_by("created_at", "pk")
    )
    return [
        {
            "type": "capa",
            "id": link.capa_id,
            "number": link.capa.number,
            "title": link.capa.title,
            "status": state_label(link.capa.status),
            "url": link.capa.get_absolute_url(),
            "reason": link.reason,
            "linked_at": link.created_at,
            "linked_by": link.created_by,
        }
        for link in links
    ]


def capas_linked_to_deviation(deviation_id: int):
    """Ids of the CAPAs linked to a deviation from either side (a subquery)."""
    from deviations.models import Link

    return Q(pk__in=CapaDeviation.objects.filter(deviation_id=deviation_id, removed_at__isnull=True).values("capa_id")) | Q(
        pk__in=Link.objects.filter(deviation_id=deviation_id, target_type="capa", removed_at__isnull=True).values("target_id")
    )


# --- dashboard ------------------------------------------------------------------------------------------


def open_capas(user) -> QuerySet[Capa]:
    """CAPAs `user` may see that are not closed or cancelled, soonest due first."""
    return capa_list(user).exclude(status__in=DONE_STATUSES).order_by("due_date", "pk")


def assigned_to(user) -> QuerySet[Capa]:
    """Open CAPAs `user` owns."""
    return open_capas(user).filter(owner=user)


def open_actions(user) -> QuerySet[CapaAction]:
    """Open actions of CAPAs `user` may see that are still running, soonest due first."""
    return (
        CapaAction.objects.filter(status=ActionStatus.OPEN, capa__in=visible_capas(user).values("pk"))
        .exclude(capa__status__in=DONE_STATUSES)
        .select_related("capa", "owner")
        .defer("capa__description", "capa__root_cause")
        .order_by("due_date", "pk")
    )


def actions_assigned_to(user) -> QuerySet[CapaAction]:
    """Open actions `user` owns."""
    return open_actions(user).filter(owner=user)


@dataclass
class Deadlines:
    capas: QuerySet[Capa]
    actions: QuerySet[CapaAction]


def overdue(user, *, mine: bool = False, today: datetime.date | None = None) -> Deadlines:
    """Open CAPAs and open actions past their due date (`mine`: those `user` owns)."""
    today = today or timezone.localdate()
    capas = assigned_to(user) if mine else open_capas(user)
    actions = actions_assigned_to(user) if mine else open_actions(user)
    return Deadlines(capas=capas.filter(due_date__lt=today), actions=actions.filter(due_date__lt=today))


def due_soon(user, *, hours: int = 24, mine: bool = False, now: datetime.datetime | None = None) -> Deadlines:
    """Open CAPAs and actions due within `hours` from now (due today or on the days the window reaches)."""
    now = timezone.localtime(now or timezone.now())
    start, end = now.date(), (now + datetime.timedelta(hours=hours)).date()
    capas = assigned_to(user) if mine else open_capas(user)
    actions = actions_assigned_to(user) if mine else open_actions(user)
    return Deadlines(
        capas=capas.filter(due_date__gte=start, due_date__lte=end),
        actions=actions.filter(due_date__gte=start, due_date__lte=end),
    )


@dataclass
class PendingApprovals:
    drafts: QuerySet[Capa]  # waiting for the CAPA plan approval (approve-draft)
    approvals: QuerySet[Capa]  # waiting for a workflow approval the user can give (closure)


def drafts_pending_approval(user) -> QuerySet[Capa]:
    """Draft CAPAs `user` may approve (capa.approve_draft), oldest first."""
    if not has(user, APPROVE_DRAFT):
        return Capa.objects.none()
    return capa_list(user).filter(status="draft").order_by("created_at", "pk")


def pending_approval(user) -> PendingApprovals:
    """Drafts awaiting the plan approval `user` may give, and CAPAs waiting for a workflow approval
    `user` can give now (closure by a QA Manager)."""
    awaiting = with_priority_rank(records_awaiting_approval(record_type("capa"), user)).defer(*_LIST_DEFERRED)
    return PendingApprovals(drafts=drafts_pending_approval(user), approvals=awaiting.order_by("due_date", "pk"))


def effectiveness_due(today: datetime.date | None = None) -> QuerySet[EffectivenessReview]:
    """Pending effectiveness reviews planned for today or earlier, of CAPAs still running."""
    return (
        EffectivenessReview.objects.filter(result=ReviewResult.PENDING, planned_date__lte=today or timezone.localdate())
        .exclude(capa__status__in=DONE_STATUSES)
        .select_related("capa", "reviewer")
        .order_by("planned_date", "pk")
    )


def capas_citing_document(document, user) -> list[dict]:
    """The CAPAs `user` may see that refer to a version of a document (rows of workflows.related, one query)."""
    from .models import CapaDocument

    links = (
        CapaDocument.objects.filter(version__document_id=document.pk, capa__in=visible_capas(user).values("pk"))
        .select_related("capa", "version")
        .order_by("created_at", "pk")
    )
    return [
        {
            "kind": "CAPA",
            "number": link.capa.number,
            "title": link.capa.title,
            "url": link.capa.get_absolute_url(),
            "status": state_label(link.capa.status),
            "reason": f"Refers to version {link.version.version}",
        }
        for link in links
    ]


def raise_capa_action(deviation, user) -> dict | None:
    """ "Raise CAPA" on a deviation's page (deviations.links.register_raise_action), for users who
    create CAPAs, while the deviation is not cancelled."""
    from django.urls import reverse

    if not has(user, "capa.create") or deviation.status == "cancelled":
        return None
    return {"name": "capa", "label": "Raise CAPA", "url": f"{reverse('capa:create')}?deviation={deviation.pk}"}
