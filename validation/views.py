"""The Validation page (Admins and Auditors: validation.report): the latest validation report from
VALIDATION_REPORT_DIR, its HTML and PDF files, and the latest installation check."""

import json
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render

from qms.pages import permission_required

from .management.commands.validation_report import LATEST
from .outputs import STATUS_COLOURS

# Files of the report folder the page offers for download (nothing else there is served).
DOWNLOADS = ("validation-report.html", "validation-report.pdf", "junit.xml", "installation-check.txt")


def _folder() -> Path:
    return Path(settings.VALIDATION_REPORT_DIR)


@permission_required("validation.report")
def latest_report(request):
    path = _folder() / LATEST
    report, problem = None, ""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problem = f"No validation report yet: run `make validation` (or manage.py validation_report) to write {path}."
    except (OSError, ValueError) as exc:
        problem = f"The latest report {path} cannot be read: {exc}"
    files = [name for name in DOWNLOADS if (_folder() / name).is_file()]
    return render(
        request, "validation/latest.html", {"report": report, "problem": problem, "files": files, "colours": STATUS_COLOURS}
    )


@permission_required("validation.report")
def report_file(request, name: str):
    path = _folder() / name
    if name not in DOWNLOADS or not path.is_file():
        raise Http404("No such report file.")
    return FileResponse(path.open("rb"), as_attachment=name.endswith((".pdf", ".xml")), filename=name)
