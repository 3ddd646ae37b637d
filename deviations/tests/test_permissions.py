"""Deviations' codenames come from deviations/permissions.py into the one catalogue, the default roles
hold what the README says, and every service refuses for itself (403, nothing written) whoever
lacks its permission, so a command or the admin can do no more than the API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import catalog
from accounts.models import Permission, Role, UserPermissionOverride
from audit.models import AuditEvent
from deviations import permissions, selectors, services
from deviations.models import Area, Category, Deviation, SeverityDueRule
from qms.errors import PermissionDenied
from workflows import records_services

from .factories import DeviationFactory, definition, report_answers

pytestmark = pytest.mark.django_db


def test_the_codenames_are_declared_by_the_app_not_planned():
    assert set(permissions.PERMISSIONS) == {
        "deviations.view",
        "deviations.create",
        "deviations.edit",
        "deviations.approve",
        "deviations.manage_forms",
    }
    assert not any(codename.startswith("deviations.") for codename in catalog.PLANNED_PERMISSIONS)
    assert permissions in catalog.app_permission_modules()
    stored = dict(Permission.objects.filter(domain="deviations").values_list("codename", "description"))
    assert stored == permissions.PERMISSIONS


@pytest.mark.parametrize(
    "role, held",
    [
        ("User", {"deviations.create"}),
        ("QA", {"deviations.view", "deviations.create", "deviations.edit"}),
        ("QA Manager", set(permissions.PERMISSIONS)),
        ("Admin", set(permissions.PERMISSIONS)),
        ("Auditor", {"deviations.view"}),
    ],
)
def test_default_roles(role, held):
    codenames = set(Role.objects.get(name=role).permissions.filter(domain="deviations").values_list("codename", flat=True))
    assert codenames == held


def _override(user, codename, effect):
    UserPermissionOverride.objects.create(user=user, permission=Permission.objects.get(codename=codename), effect=effect)


def test_owner_choices_follow_grants_and_revocations(make_user):
    qa = make_user("QA", username="qa-owner", full_name="Quinn QA")
    revoked = make_user("QA", username="qa-revoked", full_name="Rita Revoked")
    granted = make_user("User", username="user-granted", full_name="Gus Granted")
    make_user("User", username="plain-user", full_name="Pat Plain")
    make_user("QA", username="qa-inactive", full_name="Ivy Inactive", is_active=False)
    _override(revoked, "deviations.edit", UserPermissionOverride.REVOKE)
    _override(granted, "deviations.edit", UserPermissionOverride.GRANT)

    owners = set(selectors.possible_owners().values_list("username", flat=True))

    assert {"qa-owner", "user-granted"} <= owners
    assert not owners & {"qa-revoked", "plain-user", "qa-inactive"}
    assert qa.has_qms_permission("deviations.edit") and not revoked.has_qms_permission("deviations.edit")


# --- every service checks its own permission ------------------------------------------------------------


def _upload():
    return SimpleUploadedFile("log.txt", b"Line log\n")


def _calls(deviation, link):
    """(name, codename it needs, call(actor)) for every service of the app."""
    return [
        (
            "report_deviation",
            "deviations.create",
            lambda actor: services.report_deviation(actor=actor, form_data=report_answers()),
        ),
        (
            "update_deviation",
            "deviations.edit",
            lambda actor: services.update_deviation(
                actor=actor, deviation=deviation, changes={"title": "Other"}, reason="Clearer title", row_version=1
            ),
        ),
        (
            "add_attachments",
            "deviations.edit",
            lambda actor: services.add_attachments(actor=actor, deviation=deviation, uploads=[_upload()]),
        ),
        (
            "link_record",
            "deviations.edit",
            lambda actor: services.link_record(
                actor=actor, deviation=deviation, target_type="deviation", target=link.pk, reason="Same filling line"
            ),
        ),
        (
            "unlink_record",
            "deviations.edit",
            lambda actor: services.unlink_record(
                actor=actor, deviation=deviation, link=deviation.links.first(), reason="Linked by mistake"
            ),
        ),
        (
            "save_category",
            "deviations.manage_forms",
            lambda actor: services.save_category(actor=actor, category=None, data={"name": "Cleaning"}),
        ),
        (
            "save_area",
            "deviations.manage_forms",
            lambda actor: services.save_area(actor=actor, area=Area.objects.first(), data={"site": "B"}, reason="Moved site"),
        ),
        (
            "save_due_rule",
            "deviations.manage_forms",
            lambda actor: services.save_due_rule(
                actor=actor, rule=SeverityDueRule.objects.first(), data={"due_days": 3}, reason="Shorter deadline"
            ),
        ),
        (
            "create_form_template",
            "deviations.manage_forms",
            lambda actor: services.create_form_template(actor=actor, definition=definition()),
        ),
        (
            "transition (kit)",
            "deviations.edit",
            lambda actor: records_services.transition_record(actor=actor, record=deviation, name="start_investigation"),
        ),
    ]


@pytest.mark.parametrize("index", range(10))
@pytest.mark.requirement("21CFR11.10(d)", "21CFR11.10(g)", "QMS-DEVIATIONS")
def test_services_refuse_without_their_permission_and_write_nothing(index, make_user, qa_user):
    deviation = DeviationFactory()
    other = DeviationFactory(reporter=deviation.reported_by)
    services.link_record(actor=qa_user, deviation=deviation, target_type="deviation", target=other.pk, reason="Same filling line")
    deviation = Deviation.objects.get(pk=deviation.pk)
    name, codename, call = _calls(deviation, other)[index]
    # Someone who holds every deviation codename but this one (a QA Manager with it revoked).
    actor = make_user("QA Manager", username="without-it")
    _override(actor, codename, UserPermissionOverride.REVOKE)
    counts = (AuditEvent.objects.count(), Deviation.objects.count(), Category.objects.count())

    with pytest.raises(PermissionDenied) as refused:
        call(actor)

    assert codename in str(refused.value.detail), name
    assert (AuditEvent.objects.count(), Deviation.objects.count(), Category.objects.count()) == counts
