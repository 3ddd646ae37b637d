"""Pages of the deviations app (namespace `deviations`)."""

from django.urls import path

from . import views

app_name = "deviations"

urlpatterns = [
    path("forms/", views.form_template_list, name="form-template-list"),
    path("forms/<int:pk>/", views.form_template_editor, name="form-template-editor"),
    path("forms/<int:pk>/edit/", views.form_template_edit, name="form-template-edit"),
    path("forms/<int:pk>/preview/", views.form_template_preview, name="form-template-preview"),
    path("forms/<int:pk>/publish/", views.form_template_publish, name="form-template-publish"),
    path("pickers/<slug:field_type>/", views.picker_search, name="picker-search"),
]
