"""One vocabulary of audit actions: enums per app, one catalogue, offered by the page and the API."""

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.audit_actions import AccountAction
from audit.actions import AuditTrailAction, RecordAction, catalogue
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_catalogue_lists_every_app_s_actions_once_with_a_label():
    actions = {a.value: a for a in catalogue()}
    for enum in (RecordAction, AuditTrailAction, AccountAction):
        for member in enum:
            assert actions[member.value].label == member.label
    assert actions["login_failed"].label == "Failed sign-in" and actions["update"].label == "Update"
    assert len(actions) == len(catalogue())


def test_every_action_the_accounts_app_records_is_in_the_catalogue(admin_user, basic_user, client_for):
    with pytest.raises(account_services.InvalidCredentials):
        account_services.authenticate_credentials(login="user1", password="wrong")
    group = account_services.create_group(actor=admin_user, name="QC lab")
    account_services.update_group(
        actor=admin_user, group=group, changes={"description": "Lab"}, reason="Scope of the group changed"
    )
    account_services.set_permission_override(
        actor=admin_user, user=basic_user, codename="audit.view", effect="grant", reason="Needs the audit trail for an inspection"
    )
    account_services.delete_group(actor=admin_user, group=group, reason="The lab was closed down")
    recorded = set(AuditEvent.objects.values_list("action", flat=True))
    assert recorded >= {"login_failed", "create", "update", "permission_change", "delete"}
    assert recorded <= {a.value for a in catalogue()}


def test_the_page_and_the_api_offer_every_action(client, client_for, auditor):
    client.force_login(auditor)
    page = client.get(reverse("audit:list")).content.decode()
    schema = client_for(auditor).get("/openapi.json").json()
    parameter = next(p for p in schema["paths"]["/api/audit/"]["get"]["parameters"] if p["name"] == "action")
    for action in catalogue():
        assert f'<option value="{action.value}"' in page
    assert parameter["schema"]["items"]["enum"] == [a.value for a in catalogue()]
    assert parameter["explode"] is False
