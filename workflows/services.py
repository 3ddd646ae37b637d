"""Every write of the workflow engine: templates (create, change, version, delete: use cases,
each checking `workflow_templates.manage`) and the engine's steps on instances (start, transition,
approve, per-record approval configuration).

The instance steps are not use cases of their own: they run inside the transaction of a record's
use case (workflows.records_services for registered record types, which re-authenticates signers,
locks the record and syncs it), and each checks the permission the workflow itself names: a
transition's `required_permission`, the approve permission (the template's, else the record
type's), the record type's configure permission. `start` is part of creating a record, whose
service checks the create permission.

Instance writes lock the instance row (SELECT ... FOR UPDATE) and re-read its state, so two
simultaneous approvals or transitions are serialised: an approval slot counts once and no state is
skipped. Each change is written to the workflow history and to the audit trail in the caller's
transaction. Signatures are created by the caller (inside the same transaction, after
re-authenticating outside it) and passed in; the engine records their ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from accounts.catalog import PERMISSIONS
from accounts.models import Role, User
from audit import services as audit
from audit.changes import snapshot
from qms.errors import Conflict, InvalidInput, InvalidInputs, InvalidTransition, PermissionDenied, check_row_version
from qms.permissions import has, require

from . import events, records, selectors
from .audit_actions import AuditAction
from .definition import AuditedDefinition, definition_of, rule_problems, validate_definition
from .error_codes import ErrorCode
from .models import (
    Approval,
    ApprovalOverride,
    ApprovalRule,
    HistoryAction,
    RuleKind,
    StateKind,
    TransitionTrigger,
    WorkflowHistory,
    WorkflowInstance,
    WorkflowState,
    WorkflowTemplate,
    WorkflowTransition,
)


class WorkflowDefinitionInvalid(InvalidInputs):
    """A template definition with structural errors; lists every (location, message)."""

    error_code = ErrorCode.WORKFLOW_INVALID

    def __init__(self, problems: list[tuple[list, str]]):
        super().__init__([(loc, msg, "value_error") for loc, msg in problems])


class AlreadyApproved(Conflict):
    error_code = ErrorCode.ALREADY_APPROVED
    default_detail = "You have already approved this record in its current state."


class SignatureRequired(InvalidInput):
    def __init__(self, detail: str = "This step requires an electronic signature: give your password."):
        super().__init__(detail, field="password", error_type="value_error.missing", error_code=ErrorCode.SIGNATURE_REQUIRED)


@dataclass
class Outcome:
    """What an engine call did: the approval (if any) and the history entries of every state change."""

    instance: WorkflowInstance
    approval: Approval | None = None
    transitions: list[WorkflowHistory] = field(default_factory=list)


# --- templates -------------------------------------------------------------------------------------


MANAGE = "workflow_templates.manage"


def create_template(*, actor: User | None, definition: dict) -> WorkflowTemplate:
    require(actor, MANAGE)
    resolved = _resolve(definition)
    with transaction.atomic():
        if WorkflowTemplate.objects.filter(name=definition["name"], is_current=True).exists():
            raise _name_taken(definition["name"])
        template = WorkflowTemplate.objects.create(
            name=definition["name"],
            description=definition.get("description", ""),
            approve_permission=definition.get("approve_permission") or "",
            created_by=actor,
        )
        _write_definition(template, resolved)
        _record_created(template, actor=actor, summary=f"Workflow template {template} created")
    return template


def update_template(
    *, actor: User | None, template: WorkflowTemplate, definition: dict, reason: str = "", row_version: int | None = None
) -> WorkflowTemplate:
    """Changes a template. One that records already use is not edited: a new version is made
    (returned) and becomes current; running instances keep the version they started on."""
    require(actor, MANAGE)
    resolved = _resolve(definition)
    with transaction.atomic():
        template = WorkflowTemplate.objects.select_for_update().get(pk=template.pk)
        check_row_version(template, row_version)
        if not template.is_current:
            raise Conflict(
                f"{template} has been replaced by a newer version; change the current version instead.",
                error_code=ErrorCode.TEMPLATE_RETIRED,
            )
        if (
            definition["name"] != template.name
            and WorkflowTemplate.objects.filter(name=definition["name"], is_current=True).exclude(family=template.family).exists()
        ):
            raise _name_taken(definition["name"])
        before = _audit_definition(template)
        if template.instances.exists():
            target = _next_version(template, actor, definition)
            _write_definition(target, resolved)
            summary = f"Workflow template {template.name} versioned: v{template.version} → v{target.version}"
            _record_created(target, actor=actor, summary=summary, previous=before, reason=reason)
            return target
        template.states.all().delete()
        template.name, template.description = definition["name"], definition.get("description", "")
        template.approve_permission = definition.get("approve_permission") or ""
        template.row_version += 1
        template.save()
        _write_definition(template, resolved)
        audit.record_change(
            obj=_audited(template),
            before=before,
            actor=actor,
            summary=f"Workflow template {template} changed",
            reason=reason,
        )
    return template


def new_version(*, actor: User | None, template: WorkflowTemplate, reason: str = "") -> WorkflowTemplate:
    """Copies the current version of a template into a new, editable version (used by the admin)."""
    require(actor, MANAGE)
    template = selectors.template_list().get(pk=selectors.current_version_of(template).pk)
    return update_template(actor=actor, template=template, definition=definition_of(template), reason=reason)


def delete_template_version(*, actor: User | None, template: WorkflowTemplate, reason: str = "") -> None:
    """Deletes the current version of a template that no record uses (e.g. a new version made by
    mistake). Its previous version becomes current again, so new records still have a version to
    start on. Retired versions are history and stay."""
    require(actor, MANAGE)
    with transaction.atomic():
        template = WorkflowTemplate.objects.select_for_update().get(pk=template.pk)
        if not template.is_current:
            raise Conflict(
                f"{template} was replaced by a newer version; it stays as history.", error_code=ErrorCode.TEMPLATE_RETIRED
            )
        if template.instances.exists():
            raise Conflict(f"{template} is used by records and cannot be deleted.", error_code=ErrorCode.TEMPLATE_IN_USE)
        before = _audit_definition(template)
        previous, pk = template.previous_version, template.pk
        try:
            template.delete()
        except ProtectedError as exc:  # e.g. the default workflow of a document type
            referrers = ", ".join(sorted({str(obj) for obj in exc.protected_objects}))
            raise Conflict(
                f"{template} is still referenced by {referrers}; change those first.", error_code=ErrorCode.TEMPLATE_IN_USE
            )
        if previous is not None:
            WorkflowTemplate.objects.filter(pk=previous.pk).update(is_current=True, row_version=F("row_version") + 1)
        audit.record(
            action=AuditAction.DELETE,
            resource_type="workflow_template",
            resource_id=pk,
            actor=actor,
            summary=f"Workflow template {template} deleted" + (f"; {previous} is current again" if previous is not None else ""),
            old_values=before,
            reason=reason,
        )


def _next_version(template: WorkflowTemplate, actor, definition: dict) -> WorkflowTemplate:
    WorkflowTemplate.objects.filter(pk=template.pk).update(is_current=False, row_version=template.row_version + 1)
    return WorkflowTemplate.objects.create(
        family=template.family,
        name=definition["name"],
        description=definition.get("description", ""),
        approve_permission=definition.get("approve_permission") or "",
        version=template.version + 1,
        previous_version=template,
        created_by=actor,
    )


def _record_created(template: WorkflowTemplate, *, actor, summary: str, previous: dict | None = None, reason: str = "") -> None:
    """Audits a new template (or a new version of one: `previous` is the version it replaces)."""
    audit.record(
        action=AuditAction.CREATE,
        resource_type="workflow_template",
        resource_id=template.pk,
        actor=actor,
        summary=summary,
        old_values=previous,
        new_values=_audit_definition(template),
        reason=reason,
    )


def _name_taken(name: str) -> Conflict:
    return Conflict(f"A workflow template named {name!r} already exists.", error_code=ErrorCode.NAME_TAKEN)


def _resolve(definition: dict) -> dict:
    """Validates the definition and resolves role names and user ids (422 listing every problem)."""
    problems = validate_definition(definition)
    approve_permission = definition.get("approve_permission") or ""
    if approve_permission and approve_permission not in PERMISSIONS:
        problems.append((["approve_permission"], f"Unknown permission codename {approve_permission!r}."))
    located = [
        (["states", s_index, "approval_rules", r_index], rule)
        for s_index, state in enumerate(definition.get("states") or [])
        for r_index, rule in enumerate(state.get("approval_rules") or [])
    ]
    roles, users, reference_problems = _resolve_rule_references(located)
    problems.extend(reference_problems)
    for t_index, t in enumerate(definition.get("transitions") or []):
        perm = t.get("required_permission") or ""
        if perm and perm not in PERMISSIONS:
            problems.append((["transitions", t_index, "required_permission"], f"Unknown permission codename {perm!r}."))
    if problems:
        raise WorkflowDefinitionInvalid(problems)
    return {"definition": definition, "roles": roles, "users": users}


def _resolve_rule_references(located: list[tuple[list, dict]]) -> tuple[dict, dict, list]:
    """Role names and user ids of approval rules → (roles by name, users by id, problems)."""
    roles = {r.name: r for r in Role.objects.all()}
    wanted = {uid for _, rule in located for uid in rule.get("users") or [] if isinstance(uid, int)}
    users = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True)}
    problems = []
    for loc, rule in located:
        if rule.get("kind") == RuleKind.ROLE and rule.get("role") and rule["role"] not in roles:
            problems.append((loc + ["role"], f"Unknown role {rule['role']!r}."))
        for uid in rule.get("users") or []:
            if uid not in users:
                problems.append((loc + ["users"], f"No active user with id {uid}."))
    return roles, users, problems


def _write_definition(template: WorkflowTemplate, resolved: dict) -> None:
    definition, roles, users = resolved["definition"], resolved["roles"], resolved["users"]
    states: dict[str, WorkflowState] = {}
    for order, s in enumerate(definition["states"]):
        states[s["name"]] = WorkflowState.objects.create(
            template=template,
            name=s["name"],
            label=s.get("label") or s["name"].replace("_", " ").capitalize(),
            kind=s["kind"],
            is_initial=bool(s.get("is_initial")),
            is_terminal=bool(s.get("is_terminal")),
            order=order,
            approval_mode=s.get("approval_mode") or "all",
            author_may_approve=bool(s.get("author_may_approve")),
        )
        for r_order, r in enumerate(s.get("approval_rules") or []):
            _create_rule(states[s["name"]], r, r_order, roles, users)
    for order, t in enumerate(definition.get("transitions") or []):
        WorkflowTransition.objects.create(
            template=template,
            name=t["name"],
            label=t.get("label") or t["name"].replace("_", " ").capitalize(),
            from_state=states[t["from_state"]],
            to_state=states[t["to_state"]],
            trigger=t.get("trigger") or TransitionTrigger.MANUAL,
            required_permission=t.get("required_permission") or "",
            requires_signature=bool(t.get("requires_signature")),
            signature_type=t.get("signature_type") or "approval",
            requires_comment=bool(t.get("requires_comment")),
            order=order,
        )


def _create_rule(state, r: dict, order: int, roles: dict, users: dict, override=None) -> ApprovalRule:
    rule = ApprovalRule.objects.create(
        state=state,
        override=override,
        kind=r["kind"],
        order=order,
        role=roles[r["role"]] if r["kind"] == RuleKind.ROLE else None,
        required_approvals=(r.get("required_approvals") or 1)
        if r["kind"] == RuleKind.ROLE
        else max(len(r.get("users") or []), 1),
    )
    if r["kind"] == RuleKind.USERS:
        rule.users.set([users[uid] for uid in r["users"]])
    return rule


def _audited(template: WorkflowTemplate) -> AuditedDefinition:
    return AuditedDefinition.of(selectors.template_list(include_retired=True).get(pk=template.pk))


def _audit_definition(template: WorkflowTemplate) -> dict:
    return snapshot(_audited(template), AuditedDefinition.audit_fields)


# --- instances -------------------------------------------------------------------------------------


def start(
    *,
    record,
    template: WorkflowTemplate,
    actor: User | None,
    author: User | None = None,
    state: str | None = None,
    comment: str = "",
) -> WorkflowInstance:
    """Puts a record into the initial state of the current version of `template`.
    Call inside the transaction that creates the record (its service checks the create permission).

    `state` names another state of the template to start in: a record loaded from a legacy system
    keeps the state it had there (no transition is taken, no approval or signature is implied);
    `comment` then says so in the history and the audit trail."""
    template = selectors.template_list().get(pk=selectors.current_version_of(template).pk)
    problems = validate_definition(definition_of(template))
    if problems:
        raise Conflict(
            f"Workflow template {template} is not usable until it is fixed: "
            + "; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems),
            error_code=ErrorCode.WORKFLOW_INVALID,
        )
    states = list(template.states.all())
    if state:
        first = next((s for s in states if s.name == state), None)
        if first is None:
            raise InvalidInput(
                f"Workflow {template} has no state {state!r} (states: {', '.join(s.name for s in states)}).", field="state"
            )
    else:
        first = next(s for s in states if s.is_initial)
    instance = WorkflowInstance.objects.create(
        template=template,
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        current_state=first,
        author=author or actor,
        started_by=actor,
        completed_at=timezone.now() if first.is_terminal else None,
    )
    _history(instance, HistoryAction.START, actor=actor, to_state=first.name, comment=comment)
    audit.record(
        action=AuditAction.TRANSITION,
        resource_type=_resource_type(instance),
        resource_id=instance.object_id,
        actor=actor,
        summary=f"Workflow {template} started in state {first.name}" + (f" ({comment})" if comment else ""),
        new_values={
            "transition": "start",
            "state": first.name,
            "workflow_instance": instance.pk,
            "workflow_template": template.pk,
            "workflow_version": template.version,
        },
        reason=comment,
    )
    return instance


def record_legacy_history(*, instance: WorkflowInstance, approvals) -> list[WorkflowHistory]:
    """Adds the approvals a legacy system recorded (workflows.legacy.LegacyApproval) to the history
    of an instance started for an imported record: marked as legacy history, with who and when as
    text, no user and no signature. The caller audits them with the record's creation."""
    return [
        WorkflowHistory.objects.create(
            instance=instance,
            action=HistoryAction.LEGACY,
            to_state=instance.current_state.name,
            actor=None,
            actor_name=f"{approval.by} (legacy system)"[:200],
            comment=approval.as_text(),
        )
        for approval in approvals
    ]


def find_transition(instance: WorkflowInstance, name: str, user: User | None, *, system: bool = False) -> WorkflowTransition:
    """The transition `name` from the instance's current state, if this user may perform it.
    409 INVALID_TRANSITION when there is no such transition; 403 without the permission."""
    transition_obj = (
        WorkflowTransition.objects.filter(template_id=instance.template_id, from_state_id=instance.current_state_id, name=name)
        .select_related("from_state", "to_state")
        .first()
    )
    state = instance.current_state
    if transition_obj is None:
        names = [t.name for t in selectors.available_transitions(instance, user)] if user else []
        raise InvalidTransition(
            f"Transition {name!r} is not possible from state {state.name!r}."
            + (f" Possible: {', '.join(names)}." if names else ""),
            extra={"current_state": state.name, "available_transitions": names},
        )
    if transition_obj.trigger == TransitionTrigger.APPROVAL and not system:
        raise InvalidTransition(
            f"{transition_obj.name!r} happens automatically when the approval rules of {state.name!r} are met; approve instead.",
            extra={"current_state": state.name},
        )
    if transition_obj.trigger == TransitionTrigger.SYSTEM and not system:
        raise InvalidTransition(f"{transition_obj.name!r} is performed by the system only.", extra={"current_state": state.name})
    if not system and transition_obj.required_permission and not (user and has(user, transition_obj.required_permission)):
        raise PermissionDenied(
            f"You need the '{transition_obj.required_permission}' permission to {transition_obj.label.lower()}."
        )
    return transition_obj


def transition(
    *, instance: WorkflowInstance, name: str, actor: User | None, comment: str = "", signature=None, system: bool = False
) -> Outcome:
    """Performs a named transition. Must run inside the caller's transaction (it locks the instance)."""
    _require_atomic()
    instance = _lock(instance)
    transition_obj = find_transition(instance, name, actor, system=system)
    if transition_obj.requires_comment and not comment.strip():
        raise InvalidInput(f"{transition_obj.label} needs a comment.", field="comment", error_type="value_error.missing")
    if transition_obj.requires_signature and signature is None and not system:
        raise SignatureRequired()
    entry = _move(instance, transition_obj, actor=actor, comment=comment, signature=signature, automatic=system)
    return Outcome(instance=instance, transitions=[entry])


def check_can_approve(instance: WorkflowInstance, user: User) -> selectors.ApprovalPolicy:
    """Raises unless `user` can give an approval that counts now (403 not an approver / own record,
    409 ALREADY_APPROVED or nothing to approve). Read-only; `approve` checks again under the lock."""
    state = instance.current_state
    policy = selectors.approval_policy(instance)
    if not policy.requires_approval:
        raise InvalidTransition(
            f"Nothing to approve: state {state.name!r} has no approval step.", extra={"current_state": state.name}
        )
    if Approval.objects.filter(instance=instance, state_entry=instance.state_entry, approver=user).exists():
        raise AlreadyApproved()
    if instance.author_id == user.pk and not policy.author_may_approve:
        raise PermissionDenied("Authors may not approve their own record.", error_code=ErrorCode.SELF_APPROVAL_NOT_ALLOWED)
    matching = [r for r in policy.rules if r.matches(user)]
    if not matching:
        raise PermissionDenied(
            "You are not one of the approvers required in this state"
            + (f" (waiting for: {'; '.join(selectors.pending_approvers_hint(policy))})." if policy.rules else "."),
            error_code=ErrorCode.NOT_AN_APPROVER,
        )
    if not any(r.has_open_slot_for(user) for r in matching):
        raise Conflict("The approvals you could give here are already complete.", error_code=ErrorCode.APPROVAL_NOT_REQUIRED)
    return policy


def approve(*, instance: WorkflowInstance, actor: User, signature=None, comment: str = "") -> Outcome:
    """Records `actor`'s approval in the current state and, when the state's rules are then met,
    performs its approval transition. Must run inside the caller's transaction."""
    _require_atomic()
    instance = _lock(instance)
    codename = approve_permission(instance)
    if codename:
        require(actor, codename, detail=f"You need the '{codename}' permission to approve here.")
    policy = check_can_approve(instance, actor)
    slot = next(r for r in policy.rules if r.has_open_slot_for(actor))
    approval = Approval.objects.create(
        instance=instance,
        state=instance.current_state,
        state_entry=instance.state_entry,
        approver=actor,
        approver_name=actor.display_name,
        approver_role=actor.role.name if actor.role_id else "",
        rule=slot.rule,
        rule_description=slot.describe(),
        comment=comment,
        signature_id=getattr(signature, "pk", None),
    )
    slot.approver_ids.append(actor.pk)
    _history(
        instance,
        HistoryAction.APPROVE,
        actor=actor,
        from_state=instance.current_state.name,
        to_state=instance.current_state.name,
        comment=comment,
        signature=signature,
    )
    audit.record(
        action=AuditAction.APPROVE,
        resource_type=_resource_type(instance),
        resource_id=instance.object_id,
        actor=actor,
        summary=f"{actor.display_name} approved in state {instance.current_state.name} ({slot.describe()})",
        new_values={
            "state": instance.current_state.name,
            "rule": slot.describe(),
            "signature_id": getattr(signature, "pk", None),
        },
        reason=comment,
    )
    events.emit_approval(_resource_type(instance), instance, approval)
    outcome = Outcome(instance=instance, approval=approval)
    if policy.satisfied:
        auto = selectors.approval_transition(instance)
        outcome.transitions.append(
            _move(instance, auto, actor=None, comment="Approval rules met", signature=None, automatic=True)
        )
    return outcome


def configure_approval(
    *,
    instance: WorkflowInstance,
    state_name: str,
    actor: User,
    approval_mode: str = "all",
    author_may_approve: bool = False,
    rules: list[dict] | None = None,
    reset: bool = False,
    reason: str = "",
) -> ApprovalOverride | None:
    """Replaces (or with `reset`, restores) the template's approval rules of one state for this
    record only. Not while the record is in that state or finished."""
    _require_atomic()
    instance = _lock(instance)
    record_type = records.record_type_of_instance(instance)
    if record_type is not None:
        require(actor, record_type.configure_permission)
    state = WorkflowState.objects.filter(template_id=instance.template_id, name=state_name).first()
    if state is None or selectors.approval_transition(instance, state) is None:
        names = list(
            WorkflowTransition.objects.filter(template_id=instance.template_id, trigger=TransitionTrigger.APPROVAL).values_list(
                "from_state__name", flat=True
            )
        )
        raise InvalidInput(
            f"{state_name!r} is not an approval state of this workflow (approval states: {', '.join(names) or 'none'}).",
            field="state",
        )
    if instance.current_state.is_terminal:
        raise InvalidTransition("The workflow has finished; its approvals can no longer be configured.")
    if instance.current_state_id == state.pk:
        raise Conflict(
            f"The record is in {state.name!r} now: approvals are under way and their rules cannot change.",
            error_code=ErrorCode.APPROVAL_IN_PROGRESS,
        )
    before = _policy_values(selectors.approval_policy(instance, state, with_progress=False))
    ApprovalOverride.objects.filter(instance=instance, state=state).delete()
    override = None
    if not reset:
        if not rules:
            raise InvalidInput("Give at least one approval rule (or reset to the template's rules).", field="rules")
        located = [(["rules", index], rule) for index, rule in enumerate(rules)]
        problems = [p for loc, rule in located for p in rule_problems(rule, loc)]
        roles, users, reference_problems = _resolve_rule_references(located)
        if problems or reference_problems:
            raise WorkflowDefinitionInvalid(problems + reference_problems)
        override = ApprovalOverride.objects.create(
            instance=instance,
            state=state,
            approval_mode=approval_mode,
            author_may_approve=author_may_approve,
            reason=reason,
            configured_by=actor,
        )
        for order, rule in enumerate(rules):
            _create_rule(state, rule, order, roles, users, override=override)
    after = _policy_values(selectors.approval_policy(instance, state, with_progress=False))
    _history(instance, HistoryAction.CONFIGURE, actor=actor, from_state=state.name, to_state=state.name, comment=reason)
    audit.record(
        action=AuditAction.UPDATE,
        resource_type=_resource_type(instance),
        resource_id=instance.object_id,
        actor=actor,
        summary=f"Approval rules for state {state.name} {'reset to the template' if reset else 'configured for this record'}",
        old_values=before,
        new_values=after,
        reason=reason,
    )
    instance.row_version += 1
    instance.save(update_fields=["row_version", "updated_at"])
    return override


def _policy_values(policy: selectors.ApprovalPolicy) -> dict:
    return {
        "state": policy.state.name,
        "approval_mode": policy.mode,
        "author_may_approve": policy.author_may_approve,
        "overridden": policy.overridden,
        "rules": [
            {"kind": r.kind, "role": r.role_name, "required_approvals": r.required}
            if r.kind == RuleKind.ROLE
            else {"kind": r.kind, "users": sorted(r.user_ids)}
            for r in policy.rules
        ],
    }


# --- internals --------------------------------------------------------------------------------------


def _require_atomic() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Workflow instance changes must run inside the caller's transaction.atomic().")


def _lock(instance: WorkflowInstance) -> WorkflowInstance:
    return (
        WorkflowInstance.objects.select_for_update(of=("self",))
        .select_related("current_state", "template", "content_type")
        .get(pk=instance.pk)
    )


def _move(instance, transition_obj, *, actor, comment, signature, automatic) -> WorkflowHistory:
    from_state, to_state = instance.current_state, transition_obj.to_state
    instance.current_state = to_state
    instance.state_entry += 1
    instance.row_version += 1
    instance.completed_at = timezone.now() if to_state.is_terminal else None
    instance.save(update_fields=["current_state", "state_entry", "row_version", "completed_at", "updated_at"])
    entry = _history(
        instance,
        HistoryAction.TRANSITION,
        actor=actor,
        transition_name=transition_obj.name,
        from_state=from_state.name,
        to_state=to_state.name,
        comment=comment,
        signature=signature,
        automatic=automatic,
    )
    who = actor.display_name if actor else "system"
    audit.record(
        action=AuditAction.REJECT if to_state.kind == StateKind.REJECTED else AuditAction.TRANSITION,
        resource_type=_resource_type(instance),
        resource_id=instance.object_id,
        actor=actor,
        summary=f"{transition_obj.label}: {from_state.name} → {to_state.name} ({'automatic' if automatic else who})",
        old_values={"state": from_state.name},
        new_values={"state": to_state.name, "transition": transition_obj.name, "signature_id": getattr(signature, "pk", None)},
        reason=comment,
    )
    events.emit_state_change(_resource_type(instance), instance, entry, from_kind=from_state.kind, to_kind=to_state.kind)
    return entry


def _history(
    instance, action, *, actor, transition_name="", from_state="", to_state="", comment="", signature=None, automatic=False
) -> WorkflowHistory:
    return WorkflowHistory.objects.create(
        instance=instance,
        action=action,
        transition_name=transition_name,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_name=actor.display_name if actor else "",
        comment=comment,
        signature_id=getattr(signature, "pk", None),
        is_automatic=automatic,
    )


def approve_permission(instance: WorkflowInstance) -> str:
    """The codename an approver needs in this instance: its template's, else its record type's
    ("" for records of unregistered types under a template that names none)."""
    record_type = records.record_type_of_instance(instance)
    return record_type.approve_permission_for(instance) if record_type is not None else instance.template.approve_permission


def _resource_type(instance: WorkflowInstance) -> str:
    record_type = records.record_type_of_instance(instance)
    return record_type.resource_type if record_type is not None else instance.content_type.model
