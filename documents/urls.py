"""Pages of the documents app (namespace `documents`)."""

from django.urls import path

from workflows.urls import record_urlpatterns

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("upload/", views.document_upload, name="upload"),
    path("<int:pk>/", views.document_detail, name="detail"),
    path("<int:pk>/edit/", views.document_edit, name="edit"),
    path("<int:pk>/versions/new/", views.version_new, name="version-new"),
    path("<int:pk>/download/", views.document_download, name="download"),
    path("<int:pk>/controlled-copy/", views.document_controlled_copy, name="controlled-copy"),
    # approve, transition, configure-approval, workflow: the workflow kit's pages
    *record_urlpatterns("document"),
    path("templates/", views.template_list, name="template-list"),
    path("templates/<int:pk>/use/", views.template_use, name="template-use"),
]
