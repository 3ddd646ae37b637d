"""Pages of the deviations app (namespace `deviations`)."""

from django.urls import path

from workflows.urls import record_urlpatterns

from . import views

app_name = "deviations"

urlpatterns = [
    path("", views.deviation_list, name="list"),
    path("report/", views.deviation_report, name="report"),
    path("<int:pk>/", views.deviation_detail, name="detail"),
    path("<int:pk>/edit/", views.deviation_edit, name="edit"),
    path("<int:pk>/links/", views.deviation_link, name="link"),
    path("<int:pk>/links/<int:link_id>/remove/", views.deviation_unlink, name="unlink"),
    path("<int:pk>/attachments/", views.deviation_attach, name="attach"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("link-search/", views.link_target_search, name="link-search"),
    # approve, transition, configure-approval and workflow pages of the workflow kit
    *record_urlpatterns("deviation"),
    path("forms/", views.form_template_list, name="form-template-list"),
    path("forms/<int:pk>/", views.form_template_editor, name="form-template-editor"),
    path("forms/<int:pk>/edit/", views.form_template_edit, name="form-template-edit"),
    path("forms/<int:pk>/preview/", views.form_template_preview, name="form-template-preview"),
    path("forms/<int:pk>/publish/", views.form_template_publish, name="form-template-publish"),
    path("pickers/<slug:field_type>/", views.picker_search, name="picker-search"),
]
