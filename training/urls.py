"""Pages of the training app (namespace `training`)."""

from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.my_training, name="my"),
    path("assignments/<int:pk>/complete/", views.complete, name="complete"),
    path("programs/", views.program_list, name="list"),
    path("programs/new/", views.program_create, name="program-create"),
    path("programs/<int:pk>/", views.program_detail, name="program-detail"),
    path("programs/<int:pk>/edit/", views.program_edit, name="program-edit"),
    path("programs/<int:pk>/retire/", views.program_retire, name="program-retire"),
    path("programs/<int:pk>/register/", views.program_register, name="program-register"),
    path("assign/", views.assign, name="assign"),
    path("assign/preview/", views.assign_preview, name="assign-preview"),
    path("registrations/", views.registration_list, name="registrations"),
    path("registrations/<int:pk>/", views.registration_update, name="registration-update"),
    path("matrix/", views.matrix, name="matrix"),
]
