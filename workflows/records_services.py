"""The controlled-record kit's use cases, for every registered record type (workflows.records):
approve with an electronic signature, perform a transition, configure a record's approvers, and
start a new record's workflow.

Each carries the whole sequence so no app repeats it:

    permission check → the record reloaded as the actor may see it (404 otherwise) → the rules
    (engine, record type's guards and approval checks, global approval checks) → the signer
    re-authenticated OUTSIDE the transaction (a wrong password is counted and committed) → one
    transaction: record and workflow instance locked, rules checked again, signature applied to
    the record's signed object, engine step (history + audit), record synced from the Outcome.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction

from accounts.models import Role, User
from accounts.services import authenticate_signer
from audit import services as audit
from audit import signatures
from audit import subjects as audit_subjects
from qms.errors import Conflict, InvalidInput, InvalidInputs, InvalidTransition, NotFound, PermissionDenied
from qms.permissions import has, require

from . import selectors
from . import services as workflows
from .error_codes import ErrorCode
from .models import RuleKind, StateKind, WorkflowInstance, WorkflowTemplate, WorkflowTransition
from .records import RecordType, SignatureTarget, record_type_for, record_type_of_model, registered


class TransitionBlocked(InvalidInputs):
    """A record type's guard refused the step; each problem is located in the request body."""

    error_code = ErrorCode.TRANSITION_BLOCKED


class ApproversCannotApprove(InvalidInputs):
    error_code = ErrorCode.APPROVER_CANNOT_APPROVE


class RecordNotEditable(Conflict):
    error_code = ErrorCode.NOT_EDITABLE


class SignedContentLocked(Conflict):
    """A change to what an electronic signature covers, on a signed or approved object."""

    error_code = ErrorCode.SIGNED_CONTENT_LOCKED


# --- signed content ------------------------------------------------------------------------------------

# Once a record reaches one of these, its signed object's content is what was approved.
APPROVED_KINDS = frozenset({StateKind.APPROVED, StateKind.EFFECTIVE, StateKind.SUPERSEDED, StateKind.OBSOLETE, StateKind.CLOSED})


@contextmanager
def signed_content_kept(record):
    """Refuses (409 SIGNED_CONTENT_LOCKED, nothing saved) a change made inside the block that alters
    the signature content of a signed object of `record` that carries electronic signatures or,
    for the record's current signed object, whose record is approved or beyond. Services make
    their changes on the objects in memory inside the block and save after it:

        with signed_content_kept(document):
            document.title = "New title"
        document.save()

    Fields outside the signature content stay editable. A change to signed content needs a new
    revision (a new signed object), never an edit in place: the signatures would no longer verify.
    """
    locked = _locked_content(record)
    yield
    changed = {}
    for target, before in locked:
        after = signatures.content_of(target.obj, target.resource_type)
        fields = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
        if fields:
            changed[target] = fields
    if changed:
        target, fields = next(iter(changed.items()))
        what = record_type_for(record).display(record) + (f" version {target.label}" if target.label else "")
        raise SignedContentLocked(
            f"{', '.join(fields)} {'is' if len(fields) == 1 else 'are'} part of the signed content of {what}, which "
            "carries electronic signatures or is approved: signed content never changes in place, a change to it "
            "needs a new revision.",
            extra={"locked_fields": sorted({field for fields in changed.values() for field in fields})},
        )


def _locked_content(record) -> list[tuple[SignatureTarget, dict]]:
    """(target, its signature content now) for each signed object of the record that must not change."""
    record_type = record_type_for(record)
    targets = record_type.signature_targets(record)
    signed = signatures.signed_objects([(t.resource_type, t.obj.pk) for t in targets])
    current = record_type.signed_object(record)
    instance = record_type.instance_of(record)
    approved = instance is not None and instance.current_state.kind in APPROVED_KINDS
    return [
        (target, signatures.content_of(target.obj, target.resource_type))
        for target in targets
        if (target.resource_type, target.obj.pk) in signed or (approved and target.obj == current)
    ]


# --- approve -------------------------------------------------------------------------------------------


def check_can_approve(*, actor: User, record) -> None:
    """Raises what `approve_record` would (403, 409, 422 from a guard) without asking for a
    password; for pages deciding whether to offer the approve button."""
    record_type = record_type_for(record)
    _check_approval(record_type, record, _instance(record_type, record), actor)


def check_direct_signature(*, signer: User, record, resource_type: str, signature_type: str) -> None:
    """A direct signature (POST /api/signatures/, a record's page) on a controlled record, or on an
    object it signs (its `signature_targets`, e.g. a document's version), passes the approval checks
    an approval in the record's current state passes (e.g. 403 TRAINING_REQUIRED): signing directly
    is no way around them. Registered with audit.signatures.register_signature_check (WorkflowsConfig)."""
    found = _controlled_record_signed_by(record, resource_type)
    if found is None:
        return
    record_type, controlled = found
    instance = record_type.instance_of(controlled)
    if instance is not None:
        _run_checks(record_type, controlled, instance, signer)


def _controlled_record_signed_by(record, resource_type: str) -> tuple[RecordType, object] | None:
    """The controlled record a signature on `record` is about: the record itself, or the record that
    is its audit subject and lists it among its signature targets; None for anything else (e.g. a
    training completion, whose subject may be a document but which the document does not sign)."""
    record_type = record_type_of_model(type(record))
    if record_type is not None:
        return record_type, record
    subject_type, subject_id = audit_subjects.resolve(resource_type, record.pk, record=record)
    record_type = registered().get(subject_type)
    if record_type is None or subject_id is None:
        return None
    owner = record_type.model._default_manager.filter(pk=subject_id).first()
    if owner is None:
        return None
    targets = record_type.signature_targets(owner)
    if any(target.resource_type == resource_type and target.obj.pk == record.pk for target in targets):
        return record_type, owner
    return None


def approve_record(*, actor: User, record, password: str, comment: str = "", intent: str = ""):
    """The actor's approval of the record in its approval state, with their electronic signature
    (meaning: the record type's signature type; intent: `intent` or the type's default). When the
    state's rules are then met the workflow moves on. Returns the record as stored afterwards."""
    record_type = record_type_for(record)
    require(actor, record_type.view_permission)
    record = _reload(record_type, record, actor)
    _check_approval(record_type, record, _instance(record_type, record), actor)
    if not password:
        raise workflows.SignatureRequired("Approving applies your electronic signature: give your password.")
    authenticate_signer(user=actor, password=password)
    with transaction.atomic():
        record = _lock(record_type, record)
        instance = _instance(record_type, record)
        _check_approval(record_type, record, instance, actor)
        signature = signatures.create_signature(
            signer=actor,
            record=record_type.signed_object(record),
            signature_type=record_type.signature_type,
            intent=(intent or "").strip() or record_type.approval_intent(record),
            reason=comment,
            via_workflow=True,
        )
        outcome = workflows.approve(instance=instance, actor=actor, signature=signature, comment=comment)
        record_type.sync(record, outcome, actor)
    return _reload(record_type, record, None)


def _check_approval(record_type: RecordType, record, instance: WorkflowInstance, actor: User) -> None:
    codename = record_type.approve_permission_for(instance)
    require(actor, codename, detail=f"You need the '{codename}' permission to approve this {record_type.label.lower()}.")
    policy = workflows.check_can_approve(instance, actor)
    if not policy.author_may_approve and actor.pk in record_type.authors(record, instance):
        raise PermissionDenied(
            f"Authors may not approve their own {record_type.label.lower()} (you are an author of what is under review).",
            error_code=ErrorCode.SELF_APPROVAL_NOT_ALLOWED,
        )
    _run_checks(record_type, record, instance, actor)
    _run_guards(record_type, record, instance, selectors.approval_transition(instance), actor)


# --- transitions -----------------------------------------------------------------------------------------


def transition_record(*, actor: User, record, name: str, comment: str = "", password: str | None = None, intent: str = ""):
    """A named manual transition of the record's current workflow (submit, reject, close, ...):
    409 when not possible from the current state, 403 without its permission, 422 without a
    required comment, with a guard's problems, or without the password of a signed transition.
    Returns the record as stored afterwards."""
    record_type = record_type_for(record)
    require(actor, record_type.view_permission)
    record = _reload(record_type, record, actor)
    transition_obj = _checked_transition(record_type, record, _instance(record_type, record), name, actor, comment)
    if transition_obj.requires_signature:
        if not password:
            raise workflows.SignatureRequired()
        authenticate_signer(user=actor, password=password)
    with transaction.atomic():
        record = _lock(record_type, record)
        instance = _instance(record_type, record)
        transition_obj = _checked_transition(record_type, record, instance, name, actor, comment)
        signature = None
        if transition_obj.requires_signature:
            signature = signatures.create_signature(
                signer=actor,
                record=record_type.signed_object(record),
                signature_type=transition_obj.signature_type,
                intent=(intent or "").strip() or record_type.transition_intent(record, transition_obj),
                reason=comment,
                via_workflow=True,
            )
        outcome = workflows.transition(instance=instance, name=name, actor=actor, comment=comment, signature=signature)
        record_type.sync(record, outcome, actor)
    return _reload(record_type, record, None)


def _checked_transition(record_type, record, instance, name, actor, comment) -> WorkflowTransition:
    transition_obj = workflows.find_transition(instance, name, actor)
    if transition_obj.requires_comment and not (comment or "").strip():
        raise InvalidInput(f"{transition_obj.label} needs a comment.", field="comment", error_type="value_error.missing")
    _run_guards(record_type, record, instance, transition_obj, actor)
    if transition_obj.requires_signature:
        _run_checks(record_type, record, instance, actor)
    return transition_obj


def system_transition_record(*, actor: User | None, record, name: str, comment: str = ""):
    """A transition the application performs itself (trigger "system", e.g. a CAPA sent back to
    work when its effectiveness review failed, or activated at creation), inside the caller's
    transaction, which has checked its own permission: no transition permission, signature or guard
    applies. `actor` is who caused it (None: the system). Returns the record as synced."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("system_transition_record must run inside the transaction of the use case causing it.")
    record_type = record_type_for(record)
    instance = _instance(record_type, record)
    outcome = workflows.transition(instance=instance, name=name, actor=actor, comment=comment, system=True)
    record_type.sync(record, outcome, actor)
    return record


# --- approval configuration ---------------------------------------------------------------------------------


def configure_record_approval(
    *,
    actor: User,
    record,
    state: str,
    approval_mode: str = "all",
    author_may_approve: bool = False,
    rules: list[dict] | None = None,
    reset: bool = False,
    reason: str = "",
):
    """This record's own approvers and rules for one approval state (overriding its workflow
    template's), or with `reset` the template's again; with a reason. Refuses rules nobody could
    satisfy (422 APPROVER_CANNOT_APPROVE) and states the record type does not allow it in (409)."""
    record_type = record_type_for(record)
    require(actor, record_type.configure_permission)
    reason = audit.require_reason(reason, what=f"changing who approves a {record_type.label.lower()}")
    with transaction.atomic():
        record = _lock(record_type, record)
        instance = _instance(record_type, record)
        current = instance.current_state
        if record_type.configurable_kinds is not None and current.kind not in record_type.configurable_kinds:
            raise RecordNotEditable(
                f"Approval rules can be configured while {record_type.display(record)} is a draft (it is "
                f"{current.label.lower()}).",
                extra={"current_state": current.name},
            )
        if not reset:
            _check_approvers_can_approve(record_type, record, instance, rules or [], author_may_approve=author_may_approve)
        workflows.configure_approval(
            instance=instance,
            state_name=state,
            actor=actor,
            approval_mode=approval_mode,
            author_may_approve=author_may_approve,
            rules=rules,
            reset=reset,
            reason=reason,
        )
        _touch(record)
    return _reload(record_type, record, None)


def _check_approvers_can_approve(record_type, record, instance, rules: list[dict], *, author_may_approve: bool) -> None:
    """Refuses rules nobody could ever satisfy (the record would wait for ever): named approvers
    without the approve permission or who are authors, and role rules asking for more approvers than
    the role has members able to approve. Unknown roles and users are left to the engine."""
    codename = record_type.approve_permission_for(instance)
    authors = set() if author_may_approve else record_type.authors(record, instance)
    wanted = {uid for rule in rules for uid in rule.get("users") or [] if isinstance(uid, int)}
    named = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True).select_related("role")}
    role_names = [rule.get("role") for rule in rules if rule.get("role")]
    known_roles = set(Role.objects.filter(name__in=role_names).values_list("name", flat=True))
    problems = []
    for index, rule in enumerate(rules):
        if rule.get("kind") == RuleKind.USERS:
            for uid in rule.get("users") or []:
                user = named.get(uid)
                if user is None:
                    continue
                if not has(user, codename):
                    why = f"does not hold the {codename} permission"
                elif uid in authors:
                    why = f"is an author of this {record_type.label.lower()} and may not approve it"
                else:
                    continue
                problems.append((["rules", index, "users"], f"{user.display_name} (id {uid}) {why}.", "value_error"))
        elif rule.get("kind") == RuleKind.ROLE and rule.get("role") in known_roles:
            members = User.objects.filter(role__name=rule["role"], is_active=True).select_related("role")
            able = [u for u in members if has(u, codename) and u.pk not in authors]
            needed = rule.get("required_approvals") or 1
            if len(able) < needed:
                problems.append(
                    (
                        ["rules", index, "role"],
                        f"Only {len(able)} active user(s) with role {rule['role']} can approve this "
                        f"{record_type.label.lower()}; {needed} required.",
                        "value_error",
                    )
                )
    if problems:
        raise ApproversCannotApprove(problems)


# --- starting a record's workflow ------------------------------------------------------------------------------


def start_record(
    *, actor: User | None, record, template: WorkflowTemplate | None = None, author: User | None = None
) -> WorkflowInstance:
    """Puts a new record into the initial state of its workflow (`template`, default: the record
    type's `workflow_template`) and remembers the instance on the record (`workflow_instance`, and
    `status` when the model has one). Inside the transaction that creates the record, whose service
    checks the create permission."""
    record_type = record_type_for(record)
    instance = workflows.start(record=record, template=template or record_type.default_template(), actor=actor, author=author)
    names = {f.name for f in record._meta.concrete_fields}
    fields = []
    if "workflow_instance" in names:
        record.workflow_instance = instance
        fields.append("workflow_instance")
    if "status" in names:
        record.status = instance.current_state.name
        fields.append("status")
    if fields:
        record.save(update_fields=fields)
    return instance


# --- internals ---------------------------------------------------------------------------------------------------


def _instance(record_type: RecordType, record) -> WorkflowInstance:
    instance = record_type.instance_of(record)
    if instance is None:
        raise InvalidTransition(f"{record_type.display(record)} has no workflow.", extra={"current_state": None})
    return instance


def _run_checks(record_type: RecordType, record, instance: WorkflowInstance, actor: User) -> None:
    for check in record_type.all_approval_checks():
        check(actor=actor, record=record, instance=instance, state=instance.current_state)


def _run_guards(record_type: RecordType, record, instance: WorkflowInstance, transition_obj, actor: User) -> None:
    if transition_obj is None:
        return
    problems = [
        (list(loc), msg, "value_error")
        for guard in record_type.guards_for(transition_obj)
        for loc, msg in guard(actor=actor, record=record, instance=instance, transition=transition_obj)
    ]
    if problems:
        raise TransitionBlocked(problems)


def _reload(record_type: RecordType, record, actor):
    """A fresh copy, as the actor may see it (the caller's object may be stale)."""
    if actor is None:  # the system sees every record
        visible = record_type.model._default_manager.select_related(*record_type.lock_related)
    else:
        visible = record_type.visible(actor)
    try:
        return visible.get(pk=record.pk)
    except record_type.model.DoesNotExist:
        raise NotFound(f"{record_type.label} not found.")


def _lock(record_type: RecordType, record):
    manager = record_type.model._default_manager
    try:
        return manager.select_for_update(of=("self",)).select_related(*record_type.lock_related).get(pk=record.pk)
    except record_type.model.DoesNotExist:
        raise NotFound(f"{record_type.label} not found.")


def _touch(record) -> None:
    """The record's row_version moves on (its approval rules are part of what clients read)."""
    names = {f.name for f in record._meta.concrete_fields}
    if "row_version" in names:
        record.row_version += 1
        record.save(update_fields=["row_version", *(["updated_at"] if "updated_at" in names else [])])
