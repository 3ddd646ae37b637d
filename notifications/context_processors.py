"""The bell in the navigation: the signed-in user's unread notification count (one query)."""

from django.urls import reverse


def bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_qms_permission("notifications.view"):
        return {}
    from .selectors import unread_count

    return {
        "bell_url": reverse("notifications:list"),
        "bell_unread": unread_count(user),
        "bell_refresh_url": reverse("notifications:bell"),
    }
