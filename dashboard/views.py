"""The dashboard page: "My work" (four short lists, each refreshed in place through htmx) and
"Quality KPIs" (SVG charts with the same numbers as tables), for holders of dashboard.view."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from accounts.selectors import group_list_for
from qms.pages import permission_required

from . import charts, selectors
from .serializers import StatsQuerySerializer

PAGE_ROWS = 8
LISTS = {
    "assigned": ("Assigned to me", "Nothing assigned to you is open."),
    "pending_approvals": ("Waiting for my approval", "Nothing waits for your approval."),
    "overdue": ("Overdue", "Nothing you can see is overdue."),
    "due_soon": ("Due within 24 hours", "Nothing is due within 24 hours."),
}


def _work_list(name: str, user) -> dict:
    title, empty = LISTS[name]
    return {"name": name, "title": title, "empty": empty, "list": selectors.work_list(name, user, page_size=PAGE_ROWS)}


@permission_required("dashboard.view")
def page(request):
    params = StatsQuerySerializer(data=request.GET, context={"user": request.user})
    filters = params.validated_data if params.is_valid() else {}
    stats = selectors.stats(request.user, **filters)
    return render(
        request,
        "dashboard/page.html",
        {
            "lists": [_work_list(name, request.user) for name in LISTS],
            "stats": stats,
            "charts": kpi_charts(stats),
            "filter_errors": {name: [str(e) for e in errors] for name, errors in params.errors.items()},
            "groups": group_list_for(request.user).order_by("name").values_list("pk", "name"),
            "query": request.GET,
        },
    )


@permission_required("dashboard.view")
def work_list(request, name: str):
    """One list's panel, for the page's htmx refresh."""
    if name not in LISTS:
        raise Http404
    return render(request, "dashboard/includes/work_list.html", {"block": _work_list(name, request.user)})


def kpi_charts(stats: dict) -> dict:
    out = {}
    if stats["deviations"] is not None:
        d = stats["deviations"]
        out["deviation_trend"] = charts.trend(
            "Deviations opened and closed per month", {"Opened": d["opened_per_month"], "Closed": d["closed_per_month"]}
        )
        out["deviation_severity"] = charts.bars(
            "Open deviations by severity",
            [(r["severity"], r["count"]) for r in d["open_by_severity"]],
            colors=charts.SEVERITY_COLORS,
        )
    if stats["documents"] is not None:
        doc = stats["documents"]
        out["document_status"] = charts.bars("Documents by status", [(r["label"], r["count"]) for r in doc["by_status"]])
        out["document_trend"] = charts.trend("Versions made effective per month", {"Made effective": doc["effective_per_month"]})
    if stats["training"] is not None:
        t = stats["training"]
        out["training_overall"] = charts.gauges("Training compliance", [("Overall", t["compliance"]["percent"])])
        if t["per_group"]:
            out["training_groups"] = charts.gauges("Compliance per group", [(g["name"], g["percent"]) for g in t["per_group"]])
    if stats["capa"] is not None:
        c = stats["capa"]
        out["capa_rates"] = charts.gauges(
            "CAPA rates", [("On-time closure", c["on_time_closure_rate"]), ("Effectiveness", c["effectiveness_rate"])]
        )
    return out
