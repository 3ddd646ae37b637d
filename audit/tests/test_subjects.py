"""Every event and signature names its subject (the root record); a record's trail includes the records
it is the subject of; existing rows get their subject without breaking the chain."""

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import User, UserPermissionOverride
from audit import immutability, services, subjects
from audit.models import AuditEvent

from .test_keyed_chain import append_legacy_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def overrides_belong_to_their_user(monkeypatch):
    """A child record type: a user's permission override belongs to the user."""
    monkeypatch.setitem(subjects._RULES, "user", subjects.SubjectRule("user", User))
    monkeypatch.setitem(subjects._RULES, "override", subjects.SubjectRule("override", UserPermissionOverride, parent="user"))


@pytest.fixture
def override(admin_user, basic_user):
    return account_services.set_permission_override(
        actor=admin_user, user=basic_user, codename="audit.view", effect="grant", reason="inspection"
    )


def test_an_event_is_its_own_subject_by_default(qa_manager):
    event = services.record(action="create", resource_type="thing", resource_id=4, summary="x", actor=qa_manager)
    assert (event.subject_type, event.subject_id) == ("thing", 4)


def test_a_registered_child_type_resolves_to_its_root(qa_manager, basic_user, override, overrides_belong_to_their_user):
    by_id = services.record(action="update", resource_type="override", resource_id=override.pk, summary="x", actor=qa_manager)
    with CaptureQueriesContext(connection) as queries:
        subject = subjects.resolve("override", override.pk, record=override)
    assert subject == ("user", basic_user.pk) and len(queries) == 0  # from the instance: no query
    assert (by_id.subject_type, by_id.subject_id) == ("user", basic_user.pk)


def test_an_explicit_subject_wins(qa_manager, basic_user):
    as_pair = services.record(
        action="approve", resource_type="workflow", resource_id=9, summary="x", actor=qa_manager, subject=("capa", 3)
    )
    as_record = services.record(
        action="update", resource_type="thing", resource_id=1, summary="x", actor=qa_manager, subject=basic_user
    )
    assert (as_pair.subject_type, as_pair.subject_id) == ("capa", 3)
    assert (as_record.subject_type, as_record.subject_id) == ("user", basic_user.pk)


def test_record_change_takes_the_subject_from_the_instance(admin_user, basic_user, override, overrides_belong_to_their_user):
    from audit.changes import snapshot

    before = snapshot(override, ["effect"])
    override.effect = "revoke"
    event = services.record_change(obj=override, before=before, fields=["effect"], actor=admin_user, summary="flipped")
    assert (event.resource_type, event.subject_type, event.subject_id) == ("override", "user", basic_user.pk)


def test_a_record_s_trail_includes_what_it_is_the_subject_of(client_for, auditor, qa_manager, overrides_belong_to_their_user):
    own = services.record(action="update", resource_type="user", resource_id=5, summary="own", actor=qa_manager)
    child = services.record(
        action="update", resource_type="override", resource_id=77, summary="child", actor=qa_manager, subject=("user", 5)
    )
    services.record(action="update", resource_type="user", resource_id=6, summary="other user", actor=qa_manager)
    client = client_for(auditor)

    def ids(query):
        return [item["id"] for item in client.get(f"/api/audit/?{query}&sort=sequence asc").json()["items"]]

    assert ids("resource_type=user&resource_id=5") == [own.pk, child.pk]
    assert ids("resource_type=override&resource_id=77") == [child.pk]
    assert ids("subject_type=user&subject_id=5") == [own.pk, child.pk]
    item = client.get(f"/api/audit/{child.pk}").json()
    assert (item["subject_type"], item["subject_id"]) == ("user", 5)


def test_the_data_migration_fills_subjects_and_the_chain_still_verifies(basic_user, overrides_belong_to_their_user):
    """Rows written before subjects existed (legacy, unkeyed hashes) get their root; no hash changes."""
    from accounts.models import Permission

    assert not AuditEvent.objects.exists()
    override = UserPermissionOverride.objects.create(
        user=basic_user, permission=Permission.objects.get(codename="audit.view"), effect="grant"
    )
    legacy = [e.pk for e in append_legacy_events(2, resources=[("document", 7), ("override", override.pk)])]
    with immutability.suspended(connection), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET subject_type = '', subject_id = NULL")
    hashes = list(AuditEvent.objects.filter(pk__in=legacy).order_by("sequence").values_list("hash", flat=True))

    migration = importlib.import_module("audit.migrations.0005_fill_subjects")
    migration.fill(None, type("SchemaEditor", (), {"connection": connection})())

    rows = list(AuditEvent.objects.filter(pk__in=legacy).order_by("sequence").values_list("subject_type", "subject_id", "hash"))
    assert rows == [("document", 7, hashes[0]), ("user", basic_user.pk, hashes[1])]
    assert not AuditEvent.objects.filter(subject_type="").exists()
    assert services.verify_chain().valid
