"""Reads about deviations and their report forms that the API, the pages, the admin and the
dashboard share, each in a fixed number of queries (whatever the page size, the number of links,
attachments or earlier deviations).

Visibility: holders of deviations.view see every deviation; reporters (deviations.create) see the
deviations they reported; nobody else sees any.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Exists, ExpressionWrapper, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.models import Role, User, UserPermissionOverride
from qms.permissions import has
from workflows.records import record_type
from workflows.selectors import RecordWorkflow, record_workflow, records_awaiting_approval

from . import links as link_registry
from .defaults import STATE_LABELS
from .models import SEVERITY_RANK, Attachment, Deviation, FormStatus, FormTemplate, Link
from .permissions import CREATE, EDIT, MANAGE_FORMS, VIEW

# States of the default workflow in which a deviation is finished (no due date applies any more).
DONE_STATUSES = ("closed", "cancelled")
RECURRENCE_DAYS = 365
RECURRENCE_LIMIT = 10
# Columns a list row never shows (long texts and the answers as reported).
_LIST_DEFERRED = (
    "description",
    "severity_rationale",
    "severity_suggestion",
    "immediate_action",
    "impact_assessment",
    "root_cause",
    "capa_decision_rationale",
    "form_answers",
)


# --- deviations ------------------------------------------------------------------------------------


def visible_deviations(user) -> QuerySet[Deviation]:
    """The deviations `user` may see (None: the system sees all), with what every view shows joined in."""
    qs = Deviation.objects.select_related("category", "area", "reported_by", "owner")
    if user is None or has(user, VIEW):
        return qs
    if has(user, CREATE):
        return qs.filter(reported_by=user)
    return qs.none()


def sees_all(user) -> bool:
    return has(user, VIEW)


def with_severity_rank(qs: QuerySet[Deviation]) -> QuerySet[Deviation]:
    """Adds `severity_rank` (Low 1 … Critical 4) so lists sort by severity, not alphabetically."""
    return qs.annotate(
        severity_rank=Case(
            *[When(severity=severity, then=Value(rank)) for severity, rank in SEVERITY_RANK.items()],
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def with_overdue(qs: QuerySet[Deviation], today: datetime.date | None = None) -> QuerySet[Deviation]:
    """Adds `overdue`: past its due date and neither closed nor cancelled (is_overdue() in SQL)."""
    late = Q(due_date__lt=today or timezone.localdate()) & ~Q(status__in=DONE_STATUSES)
    return qs.annotate(overdue=ExpressionWrapper(late, output_field=BooleanField()))


def deviation_list(user) -> QuerySet[Deviation]:
    """The rows of lists: what a list row shows (joined, long texts deferred) and `overdue`. Sorting
    by severity needs `with_severity_rank()` on top (lists that offer it add it when asked)."""
    return with_overdue(visible_deviations(user)).defer(*_LIST_DEFERRED)


def deviation_detail_queryset(user) -> QuerySet[Deviation]:
    return visible_deviations(user).select_related(
        "form_version", "workflow_instance__current_state", "workflow_instance__template"
    )


def possible_owners() -> QuerySet[User]:
    """Active users who may investigate deviations (hold deviations.edit through their role or a
    grant, and no revocation of it), by name: the owner choices of the investigation page."""
    overrides = UserPermissionOverride.objects.filter(user=OuterRef("pk"), permission__codename=EDIT)
    in_role = Role.permissions.through.objects.filter(role=OuterRef("role"), permission__codename=EDIT)
    granted = Exists(in_role) | Exists(overrides.filter(effect=UserPermissionOverride.GRANT))
    revoked = Exists(overrides.filter(effect=UserPermissionOverride.REVOKE))
    return User.objects.filter(Q(is_superuser=True) | (granted & ~revoked), is_active=True).order_by("full_name", "username")


def is_overdue(deviation: Deviation, today: datetime.date | None = None) -> bool:
    return deviation.status not in DONE_STATUSES and deviation.due_date < (today or timezone.localdate())


@dataclass
class Recurrence:
    """Earlier deviations with the same category, area or product within `days` before this one."""

    days: int
    total: int
    items: list[dict]


@dataclass
class DeviationDetail:
    answer_sections: list[dict]
    attachments: list[Attachment]
    links: list[dict]
    linked_from: list[dict]
    recurrence: Recurrence
    workflow: RecordWorkflow


def deviation_detail(deviation: Deviation, user) -> DeviationDetail:
    """Everything a deviation's page and API detail show besides its row, in a fixed number of
    queries (independent of the number of attachments, links, earlier deviations and approvals)."""
    attachments = list(deviation.attachments.select_related("uploaded_by"))
    return DeviationDetail(
        answer_sections=answers_for_display(deviation.form_version, deviation.form_answers),
        attachments=attachments,
        links=deviation_links(deviation, user),
        linked_from=link_registry.backlinks(deviation, user),
        recurrence=recurrence(deviation, user),
        workflow=record_workflow(deviation, user),
    )


def deviation_links(deviation: Deviation, user) -> list[dict]:
    """The deviation's links (removed ones too, with who removed them and why), each saying whether
    `user` may open the record it points to (one look-up per kind of record linked)."""
    rows = list(deviation.links.select_related("created_by", "removed_by"))
    accessible: dict[str, set] = {}
    for target_type in {link.target_type for link in rows}:
        kind = link_registry.link_type(target_type)
        ids = [link.target_id for link in rows if link.target_type == target_type]
        accessible[target_type] = set(kind.picker.resolve(user, ids)) if kind is not None and kind.available else set()
    return [
        {
            "id": link.pk,
            "type": link.target_type,
            "target_id": link.target_id,
            "number": link.target_number,
            "title": link.target_title,
            "version": link.target_version or None,
            "reason": link.reason,
            "source": link.source,
            "accessible": link.target_id in accessible[link.target_type],
            "linked_by": link.created_by,
            "linked_at": link.created_at,
            "removed_at": link.removed_at,
            "removed_by": link.removed_by,
            "removal_reason": link.removal_reason,
        }
        for link in rows
    ]


def deviations_linking_to(user, target_type: str, target_id: int) -> QuerySet[Link]:
    """Active links of deviations `user` may see to one record (e.g. the deviations citing a document)."""
    links = Link.objects.filter(target_type=target_type, target_id=target_id, removed_at__isnull=True)
    if not sees_all(user):
        links = links.filter(deviation__in=visible_deviations(user).values("pk"))
    return (
        links.select_related("deviation", "created_by")
        .defer(*(f"deviation__{name}" for name in _LIST_DEFERRED))
        .order_by("created_at", "pk")
    )


def deviations_citing_document(document, user) -> list[dict]:
    """The deviations `user` may see that link to a document (rows of workflows.related, one query)."""
    return [
        {
            "kind": "Deviation",
            "number": link.deviation.number,
            "title": link.deviation.title,
            "url": link.deviation.get_absolute_url(),
            "status": STATE_LABELS.get(link.deviation.status, link.deviation.status),
            "reason": f"{link.reason}" + (f" (version {link.target_version})" if link.target_version else ""),
        }
        for link in deviations_linking_to(user, "document", document.pk)
    ]


def deviation_backlinks(deviation: Deviation, user) -> list[dict]:
    """Other deviations linking to this one."""
    return [
        {
            "type": "deviation",
            "id": link.deviation_id,
            "number": link.deviation.number,
            "title": link.deviation.title,
            "reason": link.reason,
            "linked_at": link.created_at,
            "linked_by": link.created_by,
        }
        for link in deviations_linking_to(user, "deviation", deviation.pk)
    ]


def recurrence(deviation: Deviation, user, *, limit: int = RECURRENCE_LIMIT) -> Recurrence:
    """Deviations reported in the `RECURRENCE_DAYS` before this one with the same category, area or
    product (the ones `user` may see), newest first, each saying what it shares (two queries)."""
    since = deviation.created_at - datetime.timedelta(days=RECURRENCE_DAYS)
    same = Q(category_id=deviation.category_id) | Q(area_id=deviation.area_id)
    if deviation.product:
        same |= Q(product_key=deviation.product.upper())  # the index on UPPER(product)
    earlier = (
        visible_deviations(user)
        .alias(product_key=Upper("product"))
        .filter(same, created_at__gte=since, created_at__lt=deviation.created_at)
        .exclude(pk=deviation.pk)
        .defer(*_LIST_DEFERRED)
    )
    items = []
    for other in earlier.order_by("-created_at", "-pk")[:limit]:
        shared = [
            name
            for name, matches in (
                ("category", other.category_id == deviation.category_id),
                ("area", other.area_id == deviation.area_id),
                ("product", bool(deviation.product) and other.product.lower() == deviation.product.lower()),
            )
            if matches
        ]
        items.append({"deviation": other, "shared": shared})
    return Recurrence(days=RECURRENCE_DAYS, total=earlier.count(), items=items)


# --- dashboard ------------------------------------------------------------------------------------------


def open_deviations(user) -> QuerySet[Deviation]:
    """Deviations `user` may see that are not closed or cancelled, soonest due first."""
    return with_severity_rank(deviation_list(user)).exclude(status__in=DONE_STATUSES).order_by("due_date", "pk")


def assigned_to(user) -> QuerySet[Deviation]:
    """Open deviations `user` owns (investigates)."""
    return open_deviations(user).filter(owner=user)


def overdue(user, *, mine: bool = False, today: datetime.date | None = None) -> QuerySet[Deviation]:
    """Open deviations past their due date (`mine`: only those `user` owns)."""
    qs = assigned_to(user) if mine else open_deviations(user)
    return qs.filter(due_date__lt=today or timezone.localdate())


def due_soon(user, *, hours: int = 24, mine: bool = False, now: datetime.datetime | None = None) -> QuerySet[Deviation]:
    """Open deviations due within `hours` from now (due today or on the days the window reaches)."""
    now = timezone.localtime(now or timezone.now())
    qs = assigned_to(user) if mine else open_deviations(user)
    return qs.filter(due_date__gte=now.date(), due_date__lte=(now + datetime.timedelta(hours=hours)).date())


def pending_approval(user) -> QuerySet[Deviation]:
    """Deviations waiting for an approval `user` can give now (e.g. QA review for a QA Manager)."""
    return (
        with_overdue(with_severity_rank(records_awaiting_approval(record_type("deviation"), user)))
        .defer(*_LIST_DEFERRED)
        .order_by("due_date", "pk")
    )


# --- report forms ---------------------------------------------------------------------------------------


def form_template_list(user) -> QuerySet[FormTemplate]:
    """Form versions `user` may read: everything for form managers, published versions (active and
    retired) for everyone else; drafts are work in progress."""
    qs = FormTemplate.objects.select_related("created_by", "published_by")
    if user is not None and not user.has_qms_permission(MANAGE_FORMS):
        qs = qs.exclude(status=FormStatus.DRAFT)
    return qs


def active_form_template() -> FormTemplate | None:
    """The version new deviations are reported with."""
    return FormTemplate.objects.select_related("created_by", "published_by").filter(status=FormStatus.ACTIVE).first()


def latest_version(template: FormTemplate) -> FormTemplate:
    """The newest version of `template`'s form (the only one that may be changed)."""
    return FormTemplate.objects.filter(family=template.family).order_by("-version").first()


def family_versions(template: FormTemplate) -> QuerySet[FormTemplate]:
    return FormTemplate.objects.filter(family=template.family).select_related("created_by", "published_by").order_by("-version")


def latest_versions(user) -> list[FormTemplate]:
    """The newest version of every form `user` may read, by name (for the form list page)."""
    newest: dict = {}
    for template in form_template_list(user).order_by("family", "-version"):
        newest.setdefault(template.family, template)
    return sorted(newest.values(), key=lambda t: (t.name.lower(), t.pk))


def answers_for_display(version: FormTemplate, answers: dict) -> list[dict]:
    """Kept answers grouped by the version's sections, in form order, for a record's detail page:
    [{"key", "title", "fields": [{"key", "label", "type", "value"}]}]. Fields without an answer show None."""
    return [
        {
            "key": section["key"],
            "title": section["title"],
            "fields": [
                {
                    "key": spec["key"],
                    "label": spec["label"],
                    "type": spec["type"],
                    "value": ((answers or {}).get(section["key"]) or {}).get(spec["key"], {}).get("value"),
                }
                for spec in section.get("fields", [])
            ],
        }
        for section in version.sections
    ]
