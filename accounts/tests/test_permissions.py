"""Effective permissions (role ∪ grants − revocations) and 401 vs 403 for every role."""

import pytest

from accounts import selectors, services
from accounts.catalog import PERMISSIONS, ROLES
from accounts.models import Permission, Role, User, UserPermissionOverride
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def override(user, codename, effect):
    return UserPermissionOverride.objects.create(user=user, permission=Permission.objects.get(codename=codename), effect=effect)


# --- the catalogue ------------------------------------------------------------------------------------


def test_the_catalogue_has_at_least_thirty_described_codenames_in_every_domain():
    perms = list(Permission.objects.all())
    assert len(perms) >= 30
    assert len(perms) == len(PERMISSIONS)
    assert all(p.description for p in perms)
    domains = {p.domain for p in perms}
    for domain in (
        "documents",
        "document_types",
        "workflow_templates",
        "templates",
        "training",
        "deviations",
        "capa",
        "audit",
        "signatures",
        "search",
        "ai",
        "dashboard",
        "users",
        "roles",
        "groups",
        "notifications",
        "webhooks",
    ):
        assert domain in domains, domain


def test_the_five_roles_are_seeded_with_their_default_permissions():
    assert set(Role.objects.values_list("name", flat=True)) == {"Admin", "QA Manager", "QA", "User", "Auditor"}
    for name, (_, codenames) in ROLES.items():
        assert set(Role.objects.get(name=name).permissions.values_list("codename", flat=True)) == set(codenames), name


def test_the_auditor_reads_everything_including_the_audit_trail_but_changes_nothing():
    auditor = set(ROLES["Auditor"][1])
    assert {c for c in PERMISSIONS if c.endswith(".view")} <= auditor
    assert "audit.view" in auditor
    writes = {
        "documents.create",
        "documents.edit",
        "documents.approve",
        "users.manage",
        "roles.manage",
        "groups.manage",
        "signatures.sign",
        "deviations.create",
        "capa.create",
        "training.manage",
    }
    assert not (auditor & writes)


# --- computation --------------------------------------------------------------------------------------


def test_effective_permissions_are_the_role_permissions(make_user):
    user = make_user("User")

    assert user.effective_permissions == frozenset(ROLES["User"][1])


@pytest.mark.requirement("QMS-ACC-RBAC")
def test_a_grant_adds_and_a_revocation_removes(make_user):
    user = make_user("User")
    override(user, "documents.approve", UserPermissionOverride.GRANT)
    override(user, "documents.download", UserPermissionOverride.REVOKE)

    perms = selectors.effective_permissions_for(user)

    assert "documents.approve" in perms
    assert "documents.download" not in perms
    assert perms == (frozenset(ROLES["User"][1]) | {"documents.approve"}) - {"documents.download"}


def test_a_revocation_wins_over_the_role_and_a_grant_of_an_unheld_codename_is_harmless_to_revoke(make_user):
    user = make_user("QA")
    override(user, "documents.approve", UserPermissionOverride.REVOKE)
    override(user, "audit.export", UserPermissionOverride.REVOKE)  # not held by QA anyway

    perms = selectors.effective_permissions_for(user)

    assert "documents.approve" not in perms
    assert "audit.export" not in perms
    assert "documents.create" in perms


def test_a_user_without_a_role_holds_only_grants(make_user):
    user = make_user(None)
    override(user, "search.use", UserPermissionOverride.GRANT)

    assert selectors.effective_permissions_for(user) == frozenset({"search.use"})


def test_superusers_hold_every_permission_and_inactive_users_none(make_user):
    superuser = make_user(None, is_superuser=True)
    inactive = make_user("Admin", is_active=False)

    assert selectors.effective_permissions_for(superuser) == frozenset(PERMISSIONS)
    assert superuser.has_qms_permission("roles.manage")
    assert selectors.effective_permissions_for(inactive) == frozenset()
    assert not inactive.has_qms_permission("documents.view")


def test_effective_permissions_are_computed_once_per_user_object(make_user, django_assert_num_queries):
    user = User.objects.get(pk=make_user("QA").pk)

    with django_assert_num_queries(1):  # role permissions, grants and revocations together
        for codename in ("documents.view", "documents.approve", "audit.view", "roles.manage"):
            user.has_qms_permission(codename)


def test_permission_changes_apply_on_the_next_request(make_user, admin_user, client_for):
    user = make_user("User")
    client = client_for(user)
    assert client.get("/api/roles/").status_code == 403

    services.set_permission_override(
        actor=admin_user, user=user, codename="roles.view", effect="grant", reason="Internal audit support"
    )
    assert client.get("/api/roles/").status_code == 200

    services.set_permission_override(actor=admin_user, user=user, codename="roles.view", effect="revoke", reason="audit done")
    assert client.get("/api/roles/").status_code == 403


# --- 401 vs 403 on protected endpoints, for each role ---------------------------------------------------

ROLE_NAMES = ["Admin", "QA Manager", "QA", "User", "Auditor"]

# (method, path, body, codename, success status)
PROTECTED = [
    ("get", "/api/users/", None, "users.view", 200),
    ("get", "/api/roles/", None, "roles.view", 200),
    ("post", "/api/groups/", {"name": "Packaging"}, "groups.manage", 201),
    (
        "put",
        "/api/users/{target}/role",
        {"role": "QA", "reason": "Promotion to QA manager", "password": PASSWORD},
        "roles.manage",
        200,
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "codename", "ok"), PROTECTED, ids=[p[3] for p in PROTECTED])
@pytest.mark.requirement("21CFR11.10(d)")
def test_anonymous_requests_are_401(api_client, basic_user, method, path, body, codename, ok):
    response = getattr(api_client, method)(path.format(target=basic_user.pk), body, format="json")

    assert response.status_code == 401
    assert response.json()["error_code"] == "NOT_AUTHENTICATED"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", ROLE_NAMES)
@pytest.mark.parametrize(("method", "path", "body", "codename", "ok"), PROTECTED, ids=[p[3] for p in PROTECTED])
@pytest.mark.requirement("ANNEX11.12", "QMS-ACC-RBAC")
def test_each_role_gets_the_endpoint_or_a_403(make_user, client_for, role, method, path, body, codename, ok):
    actor = make_user(role)
    target = make_user("User")

    response = getattr(client_for(actor), method)(path.format(target=target.pk), body, format="json")

    if codename in ROLES[role][1]:
        assert response.status_code == ok, response.json()
    else:
        assert response.status_code == 403
        body = response.json()
        assert body["error_code"] == "PERMISSION_DENIED"
        assert codename in body["detail"]


def test_the_role_matrix_matches_the_roles_intent():
    """Spells out the table the parametrised test above walks through."""
    holders = {c: sorted(r for r in ROLE_NAMES if c in ROLES[r][1]) for _, _, _, c, _ in PROTECTED}
    assert holders == {
        "users.view": ["Admin", "Auditor", "QA", "QA Manager"],
        "roles.view": ["Admin", "Auditor", "QA Manager"],
        "groups.manage": ["Admin", "QA Manager"],
        "roles.manage": ["Admin"],
    }


def test_an_invalid_token_is_401_not_403(api_client, db):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")

    response = api_client.get("/api/users/")

    assert response.status_code == 401
    assert set(response.json()) >= {"detail", "error_code"}


# --- the same check for pages -------------------------------------------------------------------------


def test_pages_send_anonymous_users_to_login_and_refuse_missing_permissions(client, basic_user, qa_user):
    anonymous = client.get("/admin-users/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/?next=/admin-users/")

    client.force_login(basic_user)
    assert client.get("/admin-users/").status_code == 403

    client.force_login(qa_user)
    assert client.get("/admin-users/").status_code == 200
