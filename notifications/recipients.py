"""Who a notification about a record goes to: the approvers a record waits for now, its authors,
the holders of a permission, the user administrators. Reads only (workflows kit, accounts)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from workflows import records
from workflows.models import RuleKind
from workflows.selectors import approval_policy


def record_of(resource_type: str, resource_id: int | None):
    """(record type, record) of a registered controlled record, or (None, None)."""
    if resource_id is None:
        return None, None
    try:
        record_type = records.record_type(resource_type)
    except LookupError:
        return None, None
    return record_type, record_type.model._default_manager.filter(pk=resource_id).first()


def record_link(resource_type: str, resource_id: int | None) -> str:
    record_type, record = record_of(resource_type, resource_id)
    if record is None:
        return ""
    try:
        return record_type.detail_url(record)
    except Exception:  # a record type without pages
        return ""


def display(record_type, record) -> str:
    return record_type.display(record) if record_type is not None and record is not None else ""


def pending_approvers(record_type, record) -> list:
    """Active users who can approve `record` in its current state now: they match a rule that still
    needs approvers and have not approved in this round, hold the workflow's approve permission,
    may see the record, and are not its author unless the state allows it."""
    instance = record_type.instance_of(record)
    if instance is None:
        return []
    policy = approval_policy(instance)
    open_rules = [r for r in policy.rules if not r.satisfied]
    if not open_rules:
        return []
    role_ids = [r.rule.role_id for r in open_rules if r.kind == RuleKind.ROLE and r.rule.role_id]
    named = [uid for r in open_rules if r.kind == RuleKind.USERS for uid in r.user_ids]
    candidates = (
        get_user_model()
        ._default_manager.filter(is_active=True)
        .filter(Q(role_id__in=role_ids) | Q(pk__in=named))
        .select_related("role")
        .order_by("pk")
    )
    permission = record_type.approve_permission_for(instance)
    authors = record_type.authors(record, instance)
    approvers = []
    for user in candidates:
        if not any(r.has_open_slot_for(user) for r in open_rules):
            continue
        if not user.has_qms_permission(permission):
            continue
        if user.pk in authors and not policy.author_may_approve:
            continue
        if not record_type.visible(user).filter(pk=record.pk).exists():
            continue
        approvers.append(user)
    return approvers


def authors_of(record_type, record) -> list[int]:
    instance = record_type.instance_of(record)
    return sorted(record_type.authors(record, instance)) if instance is not None else []


def holders_of(codename: str) -> list:
    """Active users holding `codename` (through their role or own grants)."""
    users = get_user_model()._default_manager.filter(is_active=True).select_related("role").order_by("pk")
    return [user for user in users if user.has_qms_permission(codename)]
