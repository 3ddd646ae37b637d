"""Reads about workflows that services, the API, pages and other apps share.

The approval policy of an instance's state is the per-record override when there is one, or the
template's rules otherwise; `approval_progress` says how far each rule is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet

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
