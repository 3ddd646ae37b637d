"""Pages of the audit app (mounted under /audit/)."""

from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("verify/", views.verify_chain, name="verify"),
    path("records/<slug:resource_type>/<int:resource_id>/", views.record_detail, name="record"),
    path("records/<slug:resource_type>/<int:resource_id>/sign/", views.record_sign, name="record-sign"),
]
