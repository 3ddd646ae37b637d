"""Template context shared by every page: the navigation for the modules that exist."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse

# (label, url name, permission codename, a tuple of codenames any of which is enough, or None).
# A module appears once its URL exists.
NAVIGATION = [
    ("Dashboard", "dashboard:page", "dashboard.view"),
    ("Documents", "documents:list", "documents.view"),
    ("Templates", "documents:template-list", "templates.view"),
    ("Training", "training:my", "training.view"),
    ("Deviations", "deviations:list", ("deviations.view", "deviations.create")),
    ("Deviation forms", "deviations:form-template-list", "deviations.manage_forms"),
    ("CAPA", "capa:list", ("capa.view", "capa.work")),
    ("Search", "search:page", "search.use"),
    ("Assistant", "ai:chat", "ai.use"),
    ("Audit trail", "audit:list", "audit.view"),
    ("Users & groups", "accounts:user-admin", "users.view"),
    ("Imports", "imports:list", "imports.view"),
    ("Validation", "validation:report", "validation.report"),
]


def navigation(request):
    user = getattr(request, "user", None)
    from qms import __version__

    if user is None or not user.is_authenticated:
        return {"nav_items": [], "qms_version": __version__}
    items = []
    for label, url_name, codename in NAVIGATION:
        codenames = (codename,) if isinstance(codename, str) else codename or ()
        if codenames and not any(user.has_qms_permission(c) for c in codenames):
            continue
        if url_name == "ai:chat" and not (settings.AI_ENABLED and settings.OPENAI_API_KEY):
            continue  # the assistant is hidden when it is not configured
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url) and url != "/"})
    try:
        nav_search = reverse("search:page") if user.has_qms_permission("search.use") else ""
    except NoReverseMatch:
        nav_search = ""
    return {
        "nav_items": items,
        "nav_search": nav_search,
        "qms_version": __version__,
        "perms_admin_site": user.has_module_perms("accounts"),
    }
