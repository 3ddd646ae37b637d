"""Project-level pages: the home page, error pages, and the offline policy for the API docs."""

from functools import wraps

from django.shortcuts import render

from qms.pages import login_required


@login_required
def home(request):
    return render(request, "home.html", {"permissions": sorted(request.user.effective_permissions)})


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


# Swagger UI and ReDoc come from the drf-spectacular-sidecar package; this policy makes the browser
# refuse anything else (ReDoc's bundle, for one, hard-codes a logo on a CDN). Sites may be air-gapped.
OFFLINE_DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' blob:",
        "worker-src 'self' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
    ]
)


def offline_only(view):
    """Sends the docs pages with a Content-Security-Policy that allows this server only."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = OFFLINE_DOCS_CSP
        return response

    return wrapped
