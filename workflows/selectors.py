"""Reads about workflows that services, the API, pages and other apps share.

The approval policy of an instance's state is the per-record override when there is one, or the
template's rules otherwise; `approval_progress` says how far each rule is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import (
    Approval,
    ApprovalOverride,
    ApprovalRule,
    RuleKind,
    TransitionTrigger,
    WorkflowHistory,
    WorkflowInstance,
    WorkflowState,
    WorkflowTemplate,
    WorkflowTransition,
)


def template_list(include_retired: bool = False) -> QuerySet[WorkflowTemplate]:
    qs = WorkflowTemplate.objects.select_related("created_by", "previous_version").prefetch_related(
        Prefetch(
            "states",
            queryset=WorkflowState.objects.prefetch_related(
                Prefetch(
                    "approval_rules",
                    queryset=ApprovalRule.objects.filter(override__isnull=True).select_related("role").prefetch_related("users"),
                )
            ),
        ),
        Prefetch("transitions", queryset=WorkflowTransition.objects.select_related("from_state", "to_state")),
    )
    return qs if include_retired else qs.filter(is_current=True)


def current_version_of(template: WorkflowTemplate) -> WorkflowTemplate:
    """The version new records should start on (read from the database: the object in hand may be stale)."""
    return WorkflowTemplate.objects.get(family=template.family, is_current=True)


def instances_for(record) -> QuerySet[WorkflowInstance]:
    ct = ContentType.objects.get_for_model(type(record))
    return WorkflowInstance.objects.filter(content_type=ct, object_id=record.pk).select_related("current_state", "template")


def history_for(instance_ids) -> QuerySet[WorkflowHistory]:
    return WorkflowHistory.objects.filter(instance_id__in=list(instance_ids)).select_related("actor").order_by("pk")


def approvals_for(instance_ids) -> QuerySet[Approval]:
    return Approval.objects.filter(instance_id__in=list(instance_ids)).select_related("approver", "state").order_by("pk")


# --- approval policy -----------------------------------------------------------------------------


@dataclass
class RuleProgress:
    rule: ApprovalRule
    kind: str
    role_name: str | None
    required: int
    user_ids: list[int]
    approver_ids: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.approver_ids)

    @property
    def satisfied(self) -> bool:
        if self.kind == RuleKind.ROLE:
            return self.count >= self.required
        return set(self.user_ids) <= set(self.approver_ids)

    def matches(self, user) -> bool:
        if self.kind == RuleKind.ROLE:
            return user.role_id is not None and user.role_id == self.rule.role_id
        return user.pk in self.user_ids

    def has_open_slot_for(self, user) -> bool:
        if not self.matches(user) or user.pk in self.approver_ids:
            return False
        return not self.satisfied

    def describe(self) -> str:
        if self.kind == RuleKind.ROLE:
            return f"{self.required} approver(s) with role {self.role_name}"
        return f"named approvers ({len(self.user_ids)})"


@dataclass
class ApprovalPolicy:
    state: WorkflowState
    mode: str
    author_may_approve: bool
    overridden: bool
    rules: list[RuleProgress]

    @property
    def requires_approval(self) -> bool:
        return bool(self.rules)

    @property
    def satisfied(self) -> bool:
        if not self.rules:
            return False
        done = [r.satisfied for r in self.rules]
        return all(done) if self.mode == "all" else any(done)


def approval_policy(
    instance: WorkflowInstance, state: WorkflowState | None = None, *, with_progress: bool = True
) -> ApprovalPolicy:
    """The rules of `state` (default: the current state) for this instance and, for the current
    state, which approvals of the current state entry count toward each rule."""
    state = state or instance.current_state
    override = (
        ApprovalOverride.objects.filter(instance=instance, state=state).prefetch_related("rules__users", "rules__role").first()
    )
    if override is not None:
        rules = list(override.rules.all())
        mode, author_may_approve = override.approval_mode, override.author_may_approve
    else:
        rules = list(
            ApprovalRule.objects.filter(state=state, override__isnull=True).select_related("role").prefetch_related("users")
        )
        mode, author_may_approve = state.approval_mode, state.author_may_approve
    progress = [
        RuleProgress(
            rule=rule,
            kind=rule.kind,
            role_name=rule.role.name if rule.role_id else None,
            required=rule.required_approvals if rule.kind == RuleKind.ROLE else len(rule.users.all()),
            user_ids=[u.pk for u in rule.users.all()],
        )
        for rule in rules
    ]
    if with_progress and state.pk == instance.current_state_id and progress:
        by_rule = {p.rule.pk: p for p in progress}
        for rule_id, approver_id in Approval.objects.filter(instance=instance, state_entry=instance.state_entry).values_list(
            "rule_id", "approver_id"
        ):
            if rule_id in by_rule:
                by_rule[rule_id].approver_ids.append(approver_id)
    return ApprovalPolicy(
        state=state, mode=mode, author_may_approve=author_may_approve, overridden=override is not None, rules=progress
    )


def approval_transition(instance: WorkflowInstance, state: WorkflowState | None = None) -> WorkflowTransition | None:
    state = state or instance.current_state
    return (
        WorkflowTransition.objects.filter(template_id=instance.template_id, from_state=state, trigger=TransitionTrigger.APPROVAL)
        .select_related("to_state")
        .first()
    )


def available_transitions(instance: WorkflowInstance, user) -> list[WorkflowTransition]:
    """The manual transitions from the current state that this user may perform."""
    transitions = WorkflowTransition.objects.filter(
        template_id=instance.template_id, from_state_id=instance.current_state_id, trigger=TransitionTrigger.MANUAL
    ).select_related("to_state")
    return [t for t in transitions if not t.required_permission or user.has_qms_permission(t.required_permission)]


def pending_approvers_hint(policy: ApprovalPolicy) -> list[str]:
    return [r.describe() for r in policy.rules if not r.satisfied]


def approval_states(instance: WorkflowInstance) -> list[WorkflowState]:
    """The states of the instance's template that have an approval step, in workflow order."""
    return [
        t.from_state
        for t in WorkflowTransition.objects.filter(template_id=instance.template_id, trigger=TransitionTrigger.APPROVAL)
        .select_related("from_state")
        .order_by("order", "pk")
    ]


# --- a controlled record's workflow, for the API and the pages --------------------------------------------


@dataclass
class AvailableTransition:
    name: str
    label: str
    to_state: str
    requires_signature: bool
    requires_comment: bool
    signature_type: str


@dataclass
class RecordWorkflow:
    """What a record's detail shows about its workflow (dicts shaped like the API's output)."""

    workflow: dict | None
    available_transitions: list[AvailableTransition]
    approvals: list[dict]
    signatures: list[dict]
    history: list[dict]


def record_available_transitions(instance: WorkflowInstance | None, user) -> list[AvailableTransition]:
    """The manual transitions of the record's current workflow cycle that this user may perform."""
    if instance is None or instance.current_state.is_terminal:
        return []
    return [
        AvailableTransition(t.name, t.label, t.to_state.name, t.requires_signature, t.requires_comment, t.signature_type)
        for t in available_transitions(instance, user)
    ]


def record_workflow(record, user) -> RecordWorkflow:
    """The workflow of any registered controlled record as `user` may see it: current state,
    approval progress, available transitions, approvals, signatures (with their verification) and
    history of every workflow cycle, in a fixed number of queries (independent of the number of
    cycles, approvals, signatures and history entries)."""
    from .records import record_type_for

    record_type = record_type_for(record)
    instance = record_type.instance_of(record)
    instances = list(instances_for(record).order_by("pk"))
    labels = record_type.cycle_labels(record, instances)
    full = record_type.details_visible(user, record)
    instance_ids = [i.pk for i in instances]

    history = [_history_row(h, labels) for h in history_for(instance_ids)] if full else []
    workflow = None
    approvals: list[dict] = []
    if instance is not None:
        policy = approval_policy(instance) if full else None
        workflow = {
            "instance_id": instance.pk,
            "template": {"id": instance.template_id, "name": instance.template.name, "version": instance.template.version},
            "state": {
                "name": instance.current_state.name,
                "label": instance.current_state.label,
                "kind": instance.current_state.kind,
            },
            "started_at": instance.started_at,
            "approval": approval_status(policy) if policy is not None and policy.requires_approval else None,
            "history": history,
        }
        if full:
            approvals = [_approval_row(a, labels, instance) for a in approvals_for(instance_ids)]
    signature_rows = []
    if user.has_qms_permission("signatures.view") or full:
        signature_rows = _signature_rows(record_type, record, user)
    return RecordWorkflow(
        workflow=workflow,
        available_transitions=record_available_transitions(instance, user),
        approvals=approvals,
        signatures=signature_rows,
        history=history,
    )


def approval_status(policy: ApprovalPolicy) -> dict:
    return {
        "state": policy.state.name,
        "approval_mode": policy.mode,
        "author_may_approve": policy.author_may_approve,
        "overridden": policy.overridden,
        "satisfied": policy.satisfied,
        "rules": [
            {
                "kind": r.kind,
                "role": r.role_name,
                "required_approvals": r.required,
                "users": r.user_ids,
                "approvals": r.count,
                "satisfied": r.satisfied,
            }
            for r in policy.rules
        ],
    }


def _history_row(h: WorkflowHistory, labels: dict[int, str]) -> dict:
    return {
        "id": h.pk,
        "workflow_instance": h.instance_id,
        "version": labels.get(h.instance_id),
        "action": h.action,
        "transition": h.transition_name,
        "from_state": h.from_state,
        "to_state": h.to_state,
        "actor": h.actor,
        "actor_name": h.actor_name,
        "comment": h.comment,
        "signature_id": h.signature_id,
        "is_automatic": h.is_automatic,
        "created_at": h.created_at,
    }


def _approval_row(a: Approval, labels: dict[int, str], instance: WorkflowInstance) -> dict:
    return {
        "id": a.pk,
        "approver": a.approver,
        "approver_name": a.approver_name,
        "approver_role": a.approver_role,
        "state": a.state.name,
        "version": labels.get(a.instance_id),
        "rule": a.rule_description,
        "comment": a.comment,
        "signature_id": a.signature_id,
        "current": a.instance_id == instance.pk and a.state_entry == instance.state_entry,
        "created_at": a.created_at,
    }


def _signature_rows(record_type, record, user) -> list[dict]:
    """Signatures on the record's signature targets, oldest first, each verified against the
    target's current content (one query for all of them)."""
    from audit.models import Signature
    from audit.signatures import content_hash_of, content_of

    targets = {(t.resource_type, t.obj.pk): t for t in record_type.signature_targets(record)}
    if not targets:
        return []
    wanted = Q()
    for resource_type in {key[0] for key in targets}:
        wanted |= Q(resource_type=resource_type, resource_id__in=[key[1] for key in targets if key[0] == resource_type])
    current_hash: dict[tuple[str, int], str] = {}
    rows = []
    for sig in Signature.objects.filter(wanted).select_related("signer").order_by("signed_at", "pk"):
        key = (sig.resource_type, sig.resource_id)
        target = targets[key]
        label = target.label
        if label is None and isinstance(sig.signed_content, dict):
            label = sig.signed_content.get("version")
        if key not in current_hash:
            current_hash[key] = content_hash_of(content_of(target.obj, target.resource_type))
        if not record_type.signature_visible(user, record, label):
            continue
        content_ok = current_hash[key] == sig.content_hash
        binding_ok = sig.compute_signature_hash() == sig.signature_hash
        rows.append(
            {
                "id": sig.pk,
                "signer": sig.signer,
                "printed_name": sig.printed_name,
                "signed_at": sig.signed_at,
                "signature_type": sig.signature_type,
                "meaning": sig.meaning,
                "intent": sig.intent,
                "reason": sig.reason,
                "resource_type": sig.resource_type,
                "resource_id": sig.resource_id,
                "version": label,
                "content_hash": sig.content_hash,
                "valid": content_ok and binding_ok,
                "signature": sig,
                "verification": {
                    "valid": content_ok and binding_ok,
                    "content_hash_matches": content_ok,
                    "signature_hash_matches": binding_ok,
                },
            }
        )
    return rows


# --- records waiting for a user's approval (dashboards) -----------------------------------------------------


def records_awaiting_approval(record_type, user) -> QuerySet:
    """The records of a registered type (with a `workflow_instance` foreign key) that `user` may see
    and whose current workflow state waits for an approval `user` can give now under the rules:
    they hold the approve permission of the record's workflow, match a rule of the state (the
    record's own rules when configured) that still needs approvers, have not approved in this round
    and are not its author unless the state allows it. In a fixed number of queries (one), whatever
    the number of records. Approval checks other modules add (workflows.records.register_approval_check,
    e.g. training) and a type's own `authors` hook are checked when approving, not here."""
    qs = record_type.visible(user)
    if user is None or not getattr(user, "is_active", False):
        return qs.none()
    if user.is_superuser:
        allowed = Q()
    else:
        perms = user.effective_permissions
        allowed = Q(workflow_instance__template__approve_permission__in=perms)
        if record_type.approve_permission in perms:
            allowed |= Q(workflow_instance__template__approve_permission="")
    state = OuterRef("workflow_instance__current_state")
    instance = OuterRef("workflow_instance")
    counted = (
        Approval.objects.filter(
            rule=OuterRef("pk"),
            instance=OuterRef(OuterRef("workflow_instance")),
            state_entry=OuterRef(OuterRef("workflow_instance__state_entry")),
        )
        .order_by()
        .values("rule")
        .annotate(n=Count("pk"))
        .values("n")
    )
    mine = Q(kind=RuleKind.USERS, users=user)
    if user.role_id:
        mine |= Q(kind=RuleKind.ROLE, role_id=user.role_id)

    def open_rules(rules):
        return (
            rules.filter(mine)
            .annotate(given=Coalesce(Subquery(counted, output_field=IntegerField()), 0))
            .filter(Q(kind=RuleKind.USERS) | Q(given__lt=F("required_approvals")))
        )

    override = ApprovalOverride.objects.filter(instance=instance, state=state)
    return (
        qs.filter(allowed)
        .filter(Exists(WorkflowTransition.objects.filter(from_state=state, trigger=TransitionTrigger.APPROVAL)))
        .annotate(awaiting_override=Exists(override))
        .filter(
            Q(awaiting_override=False) & Exists(open_rules(ApprovalRule.objects.filter(state=state, override__isnull=True)))
            | Q(awaiting_override=True)
            & Exists(open_rules(ApprovalRule.objects.filter(override__instance=instance, override__state=state)))
        )
        .exclude(
            Exists(
                Approval.objects.filter(instance=instance, state_entry=OuterRef("workflow_instance__state_entry"), approver=user)
            )
        )
        .exclude(
            Q(workflow_instance__author=user)
            & ~(
                Q(awaiting_override=False, workflow_instance__current_state__author_may_approve=True)
                | Q(awaiting_override=True) & Exists(override.filter(author_may_approve=True))
            )
        )
    )
