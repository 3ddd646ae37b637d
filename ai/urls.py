"""Pages of the AI assistant."""

from django.urls import path

from . import views

app_name = "ai"

urlpatterns = [
    path("", views.chat_page, name="chat"),
    path("<int:pk>/", views.chat_page, name="conversation"),
    path("deviations/suggest-severity/", views.severity_suggestion, name="deviation-suggest-severity"),
]
