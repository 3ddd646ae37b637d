"""Pages: the notification list (filters, mark read one by one or all, through the services like
the API), delivery preferences per kind, and the bell in the navigation (its unread count, refreshed
by htmx). Links only ever lead to the caller's own notifications."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from qms.errors import DomainError
from qms.pages import message_for, permission_required

from . import selectors, services
from .kinds import DEFAULTS, Delivery, NotificationType, Priority

VIEW = "notifications.view"
PAGE_SIZE = 25
PRIORITY_BADGES = {Priority.LOW: "", Priority.NORMAL: "", Priority.HIGH: "badge-warn", Priority.URGENT: "badge-danger"}


@require_GET
@permission_required(VIEW)
def notification_list(request):
    qs = selectors.notifications_of(request.user)
    show = request.GET.get("show", "all")
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    priority = request.GET.get("priority", "")
    if priority in Priority.values:
        qs = qs.filter(priority=priority)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for n in page:
        n.badge = PRIORITY_BADGES.get(n.priority, "")
    query = "&".join(f"{k}={v}" for k, v in (("show", show), ("priority", priority)) if v)
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "show": show,
            "priority": priority,
            "priorities": Priority.choices,
            "query": query,
            "unread": selectors.unread_count(request.user),
        },
    )


@require_POST
@permission_required(VIEW)
def mark_read(request, pk: int):
    try:
        notification = services.mark_read(actor=request.user, notification_id=pk)
    except DomainError as exc:
        messages.error(request, message_for(exc))
        return redirect("notifications:list")
    if (
        request.POST.get("follow")
        and notification.link
        and url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None)
    ):
        return redirect(notification.link)
    if request.htmx:
        return render(request, "notifications/includes/row.html", {"n": notification, "just_read": True})
    return redirect(request.POST.get("next") or reverse("notifications:list"))


@require_POST
@permission_required(VIEW)
def mark_all_read(request):
    marked = services.mark_all_read(actor=request.user)
    messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked read.")
    return redirect("notifications:list")


@permission_required(VIEW)
def preferences(request):
    if request.method == "POST":
        choices = {
            kind.value: request.POST[kind.value] for kind in NotificationType if request.POST.get(kind.value) in Delivery.values
        }
        services.set_preferences(actor=request.user, choices=choices)
        messages.success(request, "Notification preferences saved.")
        return redirect("notifications:preferences")
    chosen = services.preferences_of(request.user)
    rows = [
        {
            "type": kind.value,
            "label": kind.label,
            "delivery": chosen[kind.value],
            "urgent": DEFAULTS[kind].priority == Priority.URGENT,
        }
        for kind in NotificationType
    ]
    return render(request, "notifications/preferences.html", {"rows": rows, "deliveries": Delivery.choices})


@require_GET
@permission_required(VIEW)
def bell(request):
    """The bell's badge (htmx polls it)."""
    return render(request, "notifications/includes/bell.html", {"bell_unread": selectors.unread_count(request.user)})
