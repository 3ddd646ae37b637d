"""Pages of the validation package (namespace `validation`)."""

from django.urls import path

from . import views

app_name = "validation"

urlpatterns = [
    path("", views.latest_report, name="report"),
    path("files/<str:name>", views.report_file, name="file"),
]
