"""Pages of the CAPA app (namespace `capa`)."""

from django.urls import path

from workflows.urls import record_urlpatterns

from . import views

app_name = "capa"

urlpatterns = [
    path("", views.capa_list, name="list"),
    path("new/", views.capa_create, name="create"),
    path("<int:pk>/", views.capa_detail, name="detail"),
    path("<int:pk>/edit/", views.capa_edit, name="edit"),
    path("<int:pk>/approve-draft/", views.capa_approve_draft, name="approve-draft"),
    path("<int:pk>/actions/", views.action_add, name="action-add"),
    path("<int:pk>/actions/<int:action_id>/complete/", views.action_complete, name="action-complete"),
    path("<int:pk>/actions/<int:action_id>/extend/", views.action_extend, name="action-extend"),
    path("<int:pk>/actions/<int:action_id>/cancel/", views.action_cancel, name="action-cancel"),
    path("<int:pk>/effectiveness/", views.review_add, name="review-add"),
    path("<int:pk>/effectiveness/<int:review_id>/record/", views.review_record, name="review-record"),
    path("<int:pk>/deviations/", views.deviation_link, name="deviation-link"),
    path("<int:pk>/deviations/<int:link_id>/remove/", views.deviation_unlink, name="deviation-unlink"),
    path("<int:pk>/attachments/", views.capa_attach, name="attach"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    # approve (closure), transition, configure-approval and workflow pages of the workflow kit
    *record_urlpatterns("capa"),
]
