"""Project-level pages: the home page and error pages."""

from django.shortcuts import render

from qms.pages import login_required


@login_required
def home(request):
    return render(request, "home.html", {"permissions": sorted(request.user.effective_permissions)})


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
