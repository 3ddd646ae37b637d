"""Pages: sign in, sign out, profile with change-password, and user/group administration."""

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from qms.errors import DomainError
from qms.pages import login_required, message_for, permission_required

from . import selectors, services
from .forms import ChangePasswordForm, GroupCreateForm, LoginForm, ProfileForm, UserCreateForm
from .models import Group, User
from .passwords import status_of as password_status_of


def login_view(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        try:
            user = services.authenticate_credentials(login=form.cleaned_data["username"], password=form.cleaned_data["password"])
        except DomainError as exc:
            form.add_error(None, message_for(exc))
        else:
            login(request, user, backend="accounts.backends.EmailOrUsernameBackend")
            if not url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                next_url = ""
            return redirect(next_url or "home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        services.record_logout(user=request.user)
    logout(request)
    messages.info(request, "You have been signed out.")
    return redirect("login")


@login_required
def profile(request):
    user = request.user
    profile_form = ProfileForm(initial={f: getattr(user, f) for f in ("full_name", "email", "department", "office_location")})
    password_form = ChangePasswordForm()
    if request.method == "POST" and request.POST.get("form") == "profile":
        profile_form = ProfileForm(request.POST)
        if profile_form.is_valid():
            try:
                services.update_user(actor=user, user=user, changes=profile_form.cleaned_data)
            except DomainError as exc:
                profile_form.add_error(None, message_for(exc))
            else:
                messages.success(request, "Profile saved.")
                return redirect("accounts:profile")
    elif request.method == "POST" and request.POST.get("form") == "password":
        password_form = ChangePasswordForm(request.POST)
        if _change_password(request, password_form):
            return redirect("accounts:profile")
    user = selectors.user_list().get(pk=user.pk)
    return render(
        request,
        "accounts/profile.html",
        {
            "profile_user": user,
            "profile_form": profile_form,
            "password_form": password_form,
            "permissions": sorted(request.user.effective_permissions),
        },
    )


def _change_password(request, form: ChangePasswordForm) -> bool:
    """Changes the signed-in user's password from a valid form; errors go onto the form."""
    if not form.is_valid():
        return False
    try:
        updated = services.change_password(
            user=request.user,
            current_password=form.cleaned_data["current_password"],
            new_password=form.cleaned_data["new_password"],
        )
    except services.PasswordRejected as exc:
        for msg in exc.messages:
            form.add_error("new_password", msg)
        return False
    except DomainError as exc:
        form.add_error("current_password" if exc.status_code == 401 else None, message_for(exc))
        return False
    update_session_auth_hash(request, updated)
    messages.success(request, "Password changed.")
    return True


@login_required
def password_change(request):
    """Where a user whose password must change first (set by someone else, expired) is sent; also
    reachable from the expiry notice."""
    form = ChangePasswordForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and _change_password(request, form):
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            next_url = ""
        return redirect(next_url or "home")
    status = password_status_of(request.user)
    return render(request, "accounts/password_change.html", {"form": form, "next": next_url, "status": status})


@require_POST
def session_keepalive(request):
    """The idle-timeout warning's "Stay signed in": the request itself renews the session's activity
    (accounts.middleware)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return HttpResponse(status=204)


@permission_required("users.view")
def user_admin(request):
    users = selectors.user_list().order_by("username")
    groups = selectors.group_list_for(request.user)
    can_manage_users = request.user.has_qms_permission("users.manage")
    can_manage_groups = request.user.has_qms_permission("groups.manage")
    user_form = UserCreateForm(request.POST or None) if request.POST.get("form") == "user" else UserCreateForm()
    group_form = GroupCreateForm(request.POST or None) if request.POST.get("form") == "group" else GroupCreateForm()
    if request.method == "POST":
        form_name = request.POST.get("form")
        try:
            if form_name == "user" and can_manage_users and user_form.is_valid():
                data = user_form.cleaned_data
                services.create_user(
                    actor=request.user,
                    username=data["username"],
                    email=data["email"],
                    full_name=data["full_name"],
                    password=data["password"],
                    role=data["role"].name if data["role"] else None,
                )
                messages.success(request, f"User {data['username']} created.")
                return redirect("accounts:user-admin")
            if form_name == "group" and can_manage_groups and group_form.is_valid():
                services.create_group(actor=request.user, **group_form.cleaned_data)
                messages.success(request, f"Group {group_form.cleaned_data['name']} created.")
                return redirect("accounts:user-admin")
        except services.PasswordRejected as exc:
            for msg in exc.messages:
                user_form.add_error("password", msg)
        except DomainError as exc:
            (user_form if form_name == "user" else group_form).add_error(None, message_for(exc))
    return render(
        request,
        "accounts/user_admin.html",
        {
            "users": users,
            "groups": groups,
            "user_form": user_form,
            "group_form": group_form,
            "can_manage_users": can_manage_users,
            "can_manage_groups": can_manage_groups,
        },
    )


@require_POST
@permission_required("users.manage")
def user_deactivate(request, pk):
    user = get_object_or_404(User, pk=pk)
    try:
        services.deactivate_user(actor=request.user, user=user, reason=request.POST.get("reason", ""))
        messages.success(request, f"{user.username} deactivated.")
    except DomainError as exc:
        messages.error(request, message_for(exc))
    return redirect("accounts:user-admin")


@require_POST
@permission_required("groups.manage")
def group_add_member(request, pk):
    group = get_object_or_404(Group, pk=pk)
    try:
        services.add_group_member(actor=request.user, group=group, user_id=int(request.POST.get("user_id", 0)))
        messages.success(request, f"Member added to {group.name}.")
    except (DomainError, ValueError) as exc:
        messages.error(request, message_for(exc) if isinstance(exc, DomainError) else "Choose a user.")
    return redirect("accounts:user-admin")


@require_POST
@permission_required("groups.manage")
def group_remove_member(request, pk, user_id):
    group = get_object_or_404(Group, pk=pk)
    try:
        services.remove_group_member(actor=request.user, group=group, user_id=user_id)
        messages.success(request, f"Member removed from {group.name}.")
    except DomainError as exc:
        messages.error(request, message_for(exc))
    return redirect("accounts:user-admin")
