"""The workflow engine on a record of another app (an accounts Group stands in for any record):
approval rules, self-approval, 403/409 answers, history and audit, per-record overrides."""

import pytest
from django.db import transaction

from accounts.tests.factories import GroupFactory
from audit.models import AuditEvent
from qms.errors import Conflict, InvalidInput, InvalidTransition, PermissionDenied
from workflows import selectors, services
from workflows.models import Approval, WorkflowHistory

from .factories import WorkflowTemplateFactory

pytestmark = pytest.mark.django_db


def definition(rules, mode="all", author_may_approve=False, name="Review"):
    return {
        "name": name,
        "states": [
            {"name": "open", "kind": "open", "is_initial": True},
            {
                "name": "review",
                "kind": "in_review",
                "approval_mode": mode,
                "author_may_approve": author_may_approve,
                "approval_rules": rules,
            },
            {"name": "approved", "kind": "approved", "is_terminal": True},
            {"name": "cancelled", "kind": "cancelled", "is_terminal": True},
        ],
        "transitions": [
            {"name": "submit", "from_state": "open", "to_state": "review"},
            {"name": "approve", "from_state": "review", "to_state": "approved", "trigger": "approval"},
            {
                "name": "send_back",
                "from_state": "review",
                "to_state": "open",
                "requires_comment": True,
                "required_permission": "documents.approve",
            },
            {"name": "cancel", "from_state": "open", "to_state": "cancelled", "requires_signature": True},
        ],
    }


def started(template, author):
    record = GroupFactory()
    with transaction.atomic():
        instance = services.start(record=record, template=template, actor=author)
        services.transition(instance=instance, name="submit", actor=author)
    instance.refresh_from_db()
    return instance


def approve(instance, user, comment=""):
    with transaction.atomic():
        return services.approve(instance=instance, actor=user, comment=comment)


def state_of(instance):
    instance.refresh_from_db()
    return instance.current_state.name


def test_role_rule_needs_n_approvers_holding_the_role(make_user):
    author = make_user("QA")
    qams = [make_user("QA Manager") for _ in range(3)]
    template = WorkflowTemplateFactory(definition=definition([{"kind": "role", "role": "QA Manager", "required_approvals": 2}]))
    instance = started(template, author)

    outcome = approve(instance, qams[0])
    assert outcome.transitions == [] and state_of(instance) == "review"
    outcome = approve(instance, qams[1])
    assert [t.to_state for t in outcome.transitions] == ["approved"]
    assert state_of(instance) == "approved"
    with pytest.raises(InvalidTransition):  # nothing left to approve
        approve(instance, qams[2])
    assert Approval.objects.filter(instance=instance).count() == 2


def test_user_rule_needs_every_named_user(make_user):
    author = make_user("QA")
    alice, bob, carol = make_user("User"), make_user("User"), make_user("QA Manager")
    template = WorkflowTemplateFactory(definition=definition([{"kind": "users", "users": [alice.pk, bob.pk]}]))
    instance = started(template, author)

    with pytest.raises(PermissionDenied) as denied:
        approve(instance, carol)
    assert denied.value.error_code == "NOT_AN_APPROVER"
    approve(instance, bob)
    assert state_of(instance) == "review"
    approve(instance, alice)
    assert state_of(instance) == "approved"


def test_all_of_and_any_of(make_user):
    author = make_user("QA")
    qam, qa = make_user("QA Manager"), make_user("QA")
    rules = [
        {"kind": "role", "role": "QA Manager", "required_approvals": 1},
        {"kind": "role", "role": "QA", "required_approvals": 1},
    ]

    all_of = started(WorkflowTemplateFactory(definition=definition(rules, mode="all", name="All")), author)
    approve(all_of, qam)
    assert state_of(all_of) == "review"
    approve(all_of, qa)
    assert state_of(all_of) == "approved"

    any_of = started(WorkflowTemplateFactory(definition=definition(rules, mode="any", name="Any")), author)
    approve(any_of, qa)
    assert state_of(any_of) == "approved"


def test_author_cannot_approve_own_record_by_default(make_user):
    author = make_user("QA Manager")
    other = make_user("QA Manager")
    rules = [{"kind": "role", "role": "QA Manager", "required_approvals": 1}]
    instance = started(WorkflowTemplateFactory(definition=definition(rules, name="No self")), author)
    with pytest.raises(PermissionDenied) as denied:
        approve(instance, author)
    assert denied.value.error_code == "SELF_APPROVAL_NOT_ALLOWED"
    approve(instance, other)
    assert state_of(instance) == "approved"

    allowed = started(WorkflowTemplateFactory(definition=definition(rules, author_may_approve=True, name="Self ok")), author)
    approve(allowed, author)
    assert state_of(allowed) == "approved"


def test_approving_twice_is_409_already_approved(make_user):
    author = make_user("QA")
    qam = make_user("QA Manager")
    instance = started(
        WorkflowTemplateFactory(
            definition=definition(
                [
                    {"kind": "role", "role": "QA Manager", "required_approvals": 1},
                    {"kind": "role", "role": "QA", "required_approvals": 1},
                ]
            ),
        ),
        author,
    )
    approve(instance, qam)
    with pytest.raises(services.AlreadyApproved) as again:
        approve(instance, qam)
    assert again.value.status_code == 409 and again.value.error_code == "ALREADY_APPROVED"


def test_a_filled_slot_does_not_take_another_approval(make_user):
    author = make_user("QA")
    qam1, qam2 = make_user("QA Manager"), make_user("QA Manager")
    instance = started(
        WorkflowTemplateFactory(
            definition=definition(
                [
                    {"kind": "role", "role": "QA Manager", "required_approvals": 1},
                    {"kind": "role", "role": "QA", "required_approvals": 1},
                ]
            ),
        ),
        author,
    )
    approve(instance, qam1)
    with pytest.raises(Conflict) as filled:
        approve(instance, qam2)
    assert filled.value.error_code == "APPROVAL_NOT_REQUIRED"
    assert Approval.objects.filter(instance=instance).count() == 1


@pytest.mark.requirement("21CFR11.10(f)")
def test_invalid_transitions_are_409(make_user):
    author = make_user("QA Manager")
    rules = [{"kind": "role", "role": "QA Manager", "required_approvals": 1}]
    instance = started(WorkflowTemplateFactory(definition=definition(rules)), author)
    for name in ("submit", "does_not_exist", "approve"):  # wrong state, unknown, automatic-only
        with pytest.raises(InvalidTransition) as exc, transaction.atomic():
            services.transition(instance=instance, name=name, actor=author)
        assert exc.value.status_code == 409 and exc.value.error_code == "INVALID_TRANSITION"
        assert exc.value.extra["current_state"] == "review"


def test_transition_checks_permission_comment_and_signature(make_user):
    author = make_user("QA")
    reader = make_user("User")
    rules = [{"kind": "role", "role": "QA Manager", "required_approvals": 1}]
    instance = started(WorkflowTemplateFactory(definition=definition(rules)), author)
    with pytest.raises(PermissionDenied), transaction.atomic():
        services.transition(instance=instance, name="send_back", actor=reader, comment="x")
    with pytest.raises(InvalidInput) as no_comment, transaction.atomic():
        services.transition(instance=instance, name="send_back", actor=author)
    assert no_comment.value.field == "comment"
    with transaction.atomic():
        services.transition(instance=instance, name="send_back", actor=author, comment="Typos")
    assert state_of(instance) == "open"
    with pytest.raises(services.SignatureRequired), transaction.atomic():
        services.transition(instance=instance, name="cancel", actor=author)


@pytest.mark.requirement("21CFR11.10(f)")
def test_approvals_count_only_within_the_current_entry_into_the_state(make_user):
    author = make_user("QA")
    qam1, qam2 = make_user("QA Manager"), make_user("QA Manager")
    instance = started(
        WorkflowTemplateFactory(definition=definition([{"kind": "role", "role": "QA Manager", "required_approvals": 2}])),
        author,
    )
    approve(instance, qam1)
    with transaction.atomic():
        services.transition(instance=instance, name="send_back", actor=author, comment="Fix section 3")
        services.transition(instance=instance, name="submit", actor=author)
    instance.refresh_from_db()
    approve(instance, qam2)
    assert state_of(instance) == "review", "the approval before sending back no longer counts"
    approve(instance, qam1)  # qam1 may approve again in the new round
    assert state_of(instance) == "approved"


@pytest.mark.requirement("21CFR11.10(e)")
def test_history_and_audit_record_every_step(make_user):
    author = make_user("QA")
    qam = make_user("QA Manager")
    instance = started(
        WorkflowTemplateFactory(definition=definition([{"kind": "role", "role": "QA Manager", "required_approvals": 1}])),
        author,
    )
    approve(instance, qam, comment="Looks right")
    steps = [
        (h.action, h.transition_name, h.from_state, h.to_state, h.actor_id, h.is_automatic)
        for h in WorkflowHistory.objects.filter(instance=instance)
    ]
    assert steps == [
        ("start", "", "", "open", author.pk, False),
        ("transition", "submit", "open", "review", author.pk, False),
        ("approve", "", "review", "review", qam.pk, False),
        ("transition", "approve", "review", "approved", None, True),
    ]
    events = AuditEvent.objects.filter(resource_type="group", resource_id=instance.object_id).order_by("sequence")
    assert [e.action for e in events] == ["transition", "transition", "approve", "transition"]
    assert [e.new_values.get("transition") for e in events] == ["start", "submit", None, "approve"]
    assert events[2].reason == "Looks right" and events[2].actor_id == qam.pk


def test_available_transitions_respect_permissions(make_user):
    author = make_user("QA")
    reader = make_user("User")
    instance = started(
        WorkflowTemplateFactory(definition=definition([{"kind": "role", "role": "QA Manager", "required_approvals": 1}])),
        author,
    )
    assert [t.name for t in selectors.available_transitions(instance, author)] == ["send_back"]
    assert selectors.available_transitions(instance, reader) == []


def test_per_record_override_replaces_the_template_rules(make_user):
    author = make_user("QA")
    alice, qam = make_user("User"), make_user("QA Manager")
    template = WorkflowTemplateFactory(definition=definition([{"kind": "role", "role": "QA Manager", "required_approvals": 1}]))
    record = GroupFactory()
    with transaction.atomic():
        instance = services.start(record=record, template=template, actor=author)
        services.configure_approval(
            instance=instance,
            state_name="review",
            actor=author,
            rules=[{"kind": "users", "users": [alice.pk]}],
            reason="Alice owns this area",
        )
        services.transition(instance=instance, name="submit", actor=author)
    instance.refresh_from_db()
    assert selectors.approval_policy(instance).overridden
    with pytest.raises(PermissionDenied):
        approve(instance, qam)
    approve(instance, alice)
    assert state_of(instance) == "approved"
    # Other records of the same template keep the template's rules.
    other = started(template, author)
    approve(other, qam)
    assert state_of(other) == "approved"


def test_override_cannot_change_rules_of_the_state_under_way(make_user):
    author = make_user("QA")
    instance = started(
        WorkflowTemplateFactory(definition=definition([{"kind": "role", "role": "QA Manager", "required_approvals": 1}])),
        author,
    )
    with pytest.raises(Conflict) as busy, transaction.atomic():
        services.configure_approval(
            instance=instance, state_name="review", actor=author, rules=[{"kind": "role", "role": "QA", "required_approvals": 1}]
        )
    assert busy.value.error_code == "APPROVAL_IN_PROGRESS"
    with pytest.raises(InvalidInput), transaction.atomic():
        services.configure_approval(instance=instance, state_name="open", actor=author, rules=[])
