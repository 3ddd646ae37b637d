"""Pages of the documents app (namespace `documents`)."""

from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("upload/", views.document_upload, name="upload"),
    path("<int:pk>/", views.document_detail, name="detail"),
    path("<int:pk>/edit/", views.document_edit, name="edit"),
    path("<int:pk>/versions/new/", views.version_new, name="version-new"),
    path("<int:pk>/download/", views.document_download, name="download"),
    path("<int:pk>/approve/", views.document_approve, name="approve"),
    path("<int:pk>/transition/<slug:name>/", views.document_transition, name="transition"),
    path("<int:pk>/configure-approval/", views.configure_approval, name="configure-approval"),
    path("templates/", views.template_list, name="template-list"),
    path("templates/<int:pk>/use/", views.template_use, name="template-use"),
]
