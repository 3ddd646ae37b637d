"""API routes of the accounts app (mounted under /api/)."""

from django.urls import re_path

from qms.api.routers import Router

from . import api

router = Router()
router.register("users", api.UserViewSet, basename="user")
router.register("roles", api.RoleViewSet, basename="role")
router.register("permissions", api.PermissionViewSet, basename="permission")
router.register("groups", api.GroupViewSet, basename="group")

urlpatterns = [
    re_path(r"^auth/token/?$", api.TokenView.as_view(), name="auth-token"),
    re_path(r"^auth/refresh/?$", api.RefreshView.as_view(), name="auth-refresh"),
    re_path(r"^auth/logout/?$", api.LogoutView.as_view(), name="auth-logout"),
    re_path(r"^auth/me/?$", api.MeView.as_view(), name="auth-me"),
    re_path(r"^auth/change-password/?$", api.ChangePasswordView.as_view(), name="auth-change-password"),
    re_path(r"^auth/register/?$", api.RegisterView.as_view(), name="auth-register"),
    *router.urls,
]
