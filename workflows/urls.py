"""URL patterns of the controlled-record kit's pages, mounted by each app in its own namespace:

    # deviations/urls.py
    app_name = "deviations"
    urlpatterns = [
        path("<int:pk>/", views.deviation_detail, name="detail"),
        *record_urlpatterns("deviation"),
    ]

gives `deviations:approve` (POST <pk>/approve/), `deviations:transition` (POST
<pk>/transition/<name>/), `deviations:configure-approval` (<pk>/configure-approval/) and
`deviations:workflow` (<pk>/workflow/), which the workflow panel links to.
"""

from django.urls import path

from . import views


def record_urlpatterns(resource_type: str) -> list:
    kwargs = {"resource_type": resource_type}
    return [
        path("<int:pk>/approve/", views.approve_page, kwargs, name="approve"),
        path("<int:pk>/transition/<slug:name>/", views.transition_page, kwargs, name="transition"),
        path("<int:pk>/configure-approval/", views.configure_approval_page, kwargs, name="configure-approval"),
        path("<int:pk>/workflow/", views.workflow_page, kwargs, name="workflow"),
    ]
