"""API routes of the dashboard (mounted under /api/)."""

from django.urls import re_path

from . import api

urlpatterns = [
    re_path(r"^dashboard/assigned-items/?$", api.AssignedItemsView.as_view(), name="dashboard-assigned-items"),
    re_path(r"^dashboard/pending-approvals/?$", api.PendingApprovalsView.as_view(), name="dashboard-pending-approvals"),
    re_path(r"^dashboard/overdue-items/?$", api.OverdueItemsView.as_view(), name="dashboard-overdue-items"),
    re_path(
        r"^dashboard/approaching-deadlines/?$", api.ApproachingDeadlinesView.as_view(), name="dashboard-approaching-deadlines"
    ),
    re_path(r"^dashboard/stats/?$", api.StatsView.as_view(), name="dashboard-stats"),
]
