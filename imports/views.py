"""The import-runs page (imports.view: Admins, QA Managers, Auditors): every run with who, when,
which file (SHA-256), the counts, and the error report to download; a run's page links to the
audit events of the records it loaded."""

from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from qms.pages import permission_required

from .models import ImportRun


@permission_required("imports.view")
def run_list(request):
    runs = ImportRun.objects.select_related("started_by").order_by("-started_at", "-pk")
    kind = request.GET.get("kind", "")
    if kind:
        runs = runs.filter(kind=kind)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    return render(
        request, "imports/run_list.html", {"page": page, "kind": kind, "kinds": ImportRun._meta.get_field("kind").choices}
    )


@permission_required("imports.view")
def run_detail(request, pk: int):
    run = get_object_or_404(ImportRun.objects.select_related("started_by"), pk=pk)
    return render(request, "imports/run_detail.html", {"run": run})


@permission_required("imports.view")
def error_report(request, pk: int):
    run = get_object_or_404(ImportRun, pk=pk)
    if not run.error_report or not default_storage.exists(run.error_report):
        raise Http404("This run has no error report.")
    return FileResponse(
        default_storage.open(run.error_report, "rb"),
        as_attachment=True,
        filename=f"import-run-{run.pk}-errors.csv",
        content_type="text/csv",
    )
