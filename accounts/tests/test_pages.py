"""Server-rendered pages: sign in/out with the same lockout rules, profile, users and groups admin."""

import pytest

from accounts.models import Group, User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username, password=PASSWORD, next_url=""):
    return client.post("/login/", {"username": username, "password": password, "next": next_url})


def test_login_page_renders(client):
    response = client.get("/login/")

    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_signing_in_redirects_home_with_the_navigation(client, qa_user):
    response = sign_in(client, "qa1")

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/").content.decode()
    assert "Welcome, Quinn QA" in home
    assert 'href="/admin-users/"' in home  # QA holds users.view
    assert "Sign out" in home


def test_navigation_shows_only_what_the_role_may_open(client, basic_user):
    client.force_login(basic_user)

    home = client.get("/").content.decode()

    assert "Users &amp; groups" not in home
    assert "Dashboard" in home


def test_signing_in_follows_a_safe_next_url_only(client, qa_user):
    assert sign_in(client, "qa1", next_url="/profile/")["Location"] == "/profile/"
    client.logout()
    assert sign_in(client, "qa1", next_url="https://evil.example/")["Location"] == "/"


def test_wrong_password_shows_the_error(client, qa_user):
    response = sign_in(client, "qa1", "Wrong-Password-1")

    assert response.status_code == 200
    assert "Incorrect username or password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_page_sign_in_uses_the_same_lockout(client, api_client, qa_user):
    for _ in range(5):
        sign_in(client, "qa1", "Wrong-Password-1")

    page = sign_in(client, "qa1")
    api = api_client.post("/api/auth/token", {"username": "qa1", "password": PASSWORD}, format="json")

    assert "Account locked after too many failed attempts" in page.content.decode()
    assert api.json()["error_code"] == "ACCOUNT_LOCKED"


@pytest.mark.requirement("21CFR11.10(d)")
def test_deactivated_user_cannot_sign_in_and_loses_their_session(client, admin_user, qa_user):
    client.force_login(qa_user)
    User.objects.filter(pk=qa_user.pk).update(is_active=False)

    assert client.get("/")["Location"].startswith("/login/")
    assert "Incorrect username or password" in sign_in(client, "qa1").content.decode()


def test_sign_out_is_a_post(client, qa_user):
    client.force_login(qa_user)

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/", follow=True)

    assert response.redirect_chain[-1][0] == "/login/"
    assert "You have been signed out." in response.content.decode()
    assert client.get("/")["Location"].startswith("/login/")


def test_profile_change_password(client, qa_user):
    client.force_login(qa_user)

    weak = client.post(
        "/profile/",
        {"form": "password", "current_password": PASSWORD, "new_password": "weakpass", "confirm_password": "weakpass"},
    )
    mismatch = client.post(
        "/profile/",
        {"form": "password", "current_password": PASSWORD, "new_password": "Better-Pass-22", "confirm_password": "Other-Pass-22"},
    )
    wrong = client.post(
        "/profile/",
        {"form": "password", "current_password": "nope", "new_password": "Better-Pass-22", "confirm_password": "Better-Pass-22"},
    )
    good = client.post(
        "/profile/",
        {
            "form": "password",
            "current_password": PASSWORD,
            "new_password": "Better-Pass-22",
            "confirm_password": "Better-Pass-22",
        },
        follow=True,
    )

    assert "upper-case letter" in weak.content.decode()
    assert "do not match" in mismatch.content.decode()
    assert "current password is incorrect" in wrong.content.decode()
    assert "Password changed." in good.content.decode()
    assert client.get("/profile/").status_code == 200  # the session survives its own password change
    qa_user.refresh_from_db()
    assert qa_user.check_password("Better-Pass-22")


def test_profile_update(client, qa_user):
    client.force_login(qa_user)

    response = client.post(
        "/profile/",
        {
            "form": "profile",
            "full_name": "Quinn Q. Assurance",
            "email": "q@example.com",
            "department": "QA",
            "office_location": "Building 4",
        },
        follow=True,
    )

    assert "Profile saved." in response.content.decode()
    qa_user.refresh_from_db()
    assert (qa_user.full_name, qa_user.office_location) == ("Quinn Q. Assurance", "Building 4")


def test_admin_page_creates_users_and_groups_and_manages_members(client, admin_user, basic_user):
    client.force_login(admin_user)

    client.post(
        "/admin-users/",
        {
            "form": "user",
            "username": "newqa",
            "email": "newqa@example.com",
            "full_name": "New QA",
            "role": "QA",
            "password": "Quality-First-8",
        },
    )
    client.post("/admin-users/", {"form": "group", "name": "Validation", "description": "CSV"})
    group = Group.objects.get(name="Validation")
    client.post(f"/admin-users/groups/{group.pk}/add-member/", {"user_id": basic_user.pk})
    page = client.get("/admin-users/").content.decode()

    assert User.objects.get(username="newqa").role.name == "QA"
    assert list(group.members.values_list("username", flat=True)) == ["user1"]
    assert "newqa" in page and "Validation" in page

    client.post(f"/admin-users/groups/{group.pk}/remove-member/{basic_user.pk}/")
    client.post(f"/admin-users/{basic_user.pk}/deactivate/", {"reason": "left the company"})
    assert not group.members.exists()
    assert User.objects.get(pk=basic_user.pk).is_active is False


def test_admin_page_shows_password_rule_errors(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        "/admin-users/", {"form": "user", "username": "weak", "email": "weak@example.com", "role": "QA", "password": "weakweak"}
    )

    assert "upper-case letter" in response.content.decode()
    assert not User.objects.filter(username="weak").exists()


def test_user_viewers_without_manage_rights_see_no_forms(client, qa_user):
    client.force_login(qa_user)

    page = client.get("/admin-users/").content.decode()

    assert "Create user" not in page
    assert client.post("/admin-users/", {"form": "group", "name": "Sneaky"}).status_code == 200
    assert not Group.objects.filter(name="Sneaky").exists()


def test_django_admin_screens_for_users_roles_grants_and_groups(client, make_user):
    staff_admin = make_user("Admin", username="staffadmin", is_staff=True)
    client.force_login(staff_admin)

    for url in (
        "/admin/accounts/user/",
        "/admin/accounts/role/",
        "/admin/accounts/userpermissionoverride/",
        "/admin/accounts/group/",
        "/admin/accounts/permission/",
        f"/admin/accounts/user/{staff_admin.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url


def test_django_admin_changes_go_through_the_services(client, make_user, basic_user):
    staff_admin = make_user("Admin", username="staffadmin", is_staff=True)
    client.force_login(staff_admin)

    response = client.post("/admin/accounts/group/add/", {"name": "Warehouse", "description": "GDP", "members": [basic_user.pk]})

    assert response.status_code == 302
    group = Group.objects.get(name="Warehouse")
    assert group.created_by == staff_admin
    assert list(group.members.all()) == [basic_user]


def test_the_admin_site_is_closed_to_non_staff(client, basic_user):
    client.force_login(basic_user)

    assert client.get("/admin/")["Location"].startswith("/admin/login/")
