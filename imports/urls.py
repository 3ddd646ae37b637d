from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.run_list, name="list"),
    path("<int:pk>/", views.run_detail, name="detail"),
    path("<int:pk>/errors.csv", views.error_report, name="error_report"),
]
