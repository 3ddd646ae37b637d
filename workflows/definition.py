"""Workflow definitions as plain data: checking one for structural errors, and reading one back
from a stored template.

A definition is the dict the API and the admin exchange:

    {"name": "...", "description": "...", "approve_permission": "documents.approve",
     "states": [{"name": "draft", "label": "Draft", "kind": "draft", "is_initial": true,
                 "is_terminal": false, "approval_mode": "all", "author_may_approve": false,
                 "approval_rules": [{"kind": "role", "role": "QA Manager", "required_approvals": 1},
                                    {"kind": "users", "users": [3, 4]}]}],
     "transitions": [{"name": "submit", "label": "Submit for review", "from_state": "draft",
                      "to_state": "in_review", "trigger": "manual", "required_permission": "...",
                      "requires_signature": false, "signature_type": "approval",
                      "requires_comment": false}]}

`validate_definition` needs no database: it returns every problem as (location, message), so a
client sees all of them at once (unreachable states, transitions to unknown states, no initial
state, ...).
"""

from collections import deque
from dataclasses import dataclass
from typing import ClassVar

from audit.models import SignatureType

from .models import ApprovalMode, RuleKind, StateKind, TransitionTrigger

Problem = tuple[list, str]


def validate_definition(definition: dict) -> list[Problem]:
    problems: list[Problem] = []
    states = definition.get("states") or []
    transitions = definition.get("transitions") or []
    if not states:
        return [(["states"], "A workflow needs at least one state.")]

    names: dict[str, int] = {}
    for index, state in enumerate(states):
        name = state.get("name")
        if name in names:
            problems.append((["states", index, "name"], f"State {name!r} is defined twice."))
        names[name] = index
        if state.get("kind") not in StateKind.values:
            problems.append((["states", index, "kind"], f"Unknown state kind {state.get('kind')!r}."))
        if state.get("approval_mode", ApprovalMode.ALL) not in ApprovalMode.values:
            problems.append((["states", index, "approval_mode"], "approval_mode must be 'all' or 'any'."))
        for r_index, rule in enumerate(state.get("approval_rules") or []):
            loc = ["states", index, "approval_rules", r_index]
            problems.extend(rule_problems(rule, loc))

    initial = [s["name"] for s in states if s.get("is_initial")]
    if not initial:
        problems.append((["states"], "No initial state: mark exactly one state as initial."))
    elif len(initial) > 1:
        problems.append((["states"], f"Only one state may be initial (found {', '.join(initial)})."))

    outgoing: dict[str, list[dict]] = {name: [] for name in names}
    seen: set[tuple[str, str]] = set()
    for index, transition in enumerate(transitions):
        loc = ["transitions", index]
        for end in ("from_state", "to_state"):
            if transition.get(end) not in names:
                problems.append(
                    (loc + [end], f"Transition {transition.get('name')!r} refers to unknown state {transition.get(end)!r}.")
                )
        key = (transition.get("from_state"), transition.get("name"))
        if key in seen:
            problems.append((loc + ["name"], f"Transition {key[1]!r} from {key[0]!r} is defined twice."))
        seen.add(key)
        trigger = transition.get("trigger", TransitionTrigger.MANUAL)
        if trigger not in TransitionTrigger.values:
            problems.append((loc + ["trigger"], f"Unknown trigger {trigger!r}."))
        if transition.get("signature_type", SignatureType.APPROVAL) not in SignatureType.values:
            problems.append((loc + ["signature_type"], f"Unknown signature type {transition.get('signature_type')!r}."))
        if transition.get("from_state") in outgoing:
            outgoing[transition["from_state"]].append(transition)

    for index, state in enumerate(states):
        name = state.get("name")
        moves = outgoing.get(name, [])
        has_rules = bool(state.get("approval_rules"))
        approval_moves = [t for t in moves if t.get("trigger") == TransitionTrigger.APPROVAL]
        if state.get("is_terminal") and moves:
            problems.append((["states", index], f"Terminal state {name!r} cannot have outgoing transitions."))
        if not state.get("is_terminal") and not moves:
            problems.append((["states", index], f"State {name!r} is a dead end: mark it terminal or add a transition."))
        if has_rules and len(approval_moves) != 1:
            problems.append(
                (
                    ["states", index, "approval_rules"],
                    f"State {name!r} has approval rules, so it needs exactly one transition with trigger 'approval' "
                    "(taken automatically when the rules are met).",
                )
            )
        if approval_moves and not has_rules:
            problems.append((["states", index], f"State {name!r} has an 'approval' transition but no approval rules."))

    if len(initial) == 1 and not any(p[0][:1] == ["transitions"] for p in problems):
        reachable = _reachable(initial[0], outgoing)
        for index, state in enumerate(states):
            if state.get("name") not in reachable:
                problems.append((["states", index], f"State {state.get('name')!r} cannot be reached from the initial state."))
    return problems


def rule_problems(rule: dict, loc: list) -> list[Problem]:
    kind = rule.get("kind")
    if kind == RuleKind.ROLE:
        out = []
        if not rule.get("role"):
            out.append((loc + ["role"], "A role rule needs a role."))
        if (rule.get("required_approvals") or 0) < 1:
            out.append((loc + ["required_approvals"], "required_approvals must be at least 1."))
        return out
    if kind == RuleKind.USERS:
        return [] if rule.get("users") else [(loc + ["users"], "A users rule needs at least one user.")]
    return [(loc + ["kind"], f"Unknown rule kind {kind!r}; use 'role' or 'users'.")]


def _reachable(start: str, outgoing: dict[str, list[dict]]) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        for transition in outgoing.get(queue.popleft(), []):
            target = transition.get("to_state")
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def definition_of(template) -> dict:
    """The definition of a stored template version (role names, user ids), for copies and output."""
    return {
        "name": template.name,
        "description": template.description,
        "approve_permission": template.approve_permission,
        "states": state_definitions(template),
        "transitions": transition_definitions(template),
    }


def state_definitions(template) -> list[dict]:
    """The template's states with their approval rules (the template's own, not a record's overrides)."""
    return [
        {
            "name": state.name,
            "label": state.label,
            "kind": state.kind,
            "is_initial": state.is_initial,
            "is_terminal": state.is_terminal,
            "approval_mode": state.approval_mode,
            "author_may_approve": state.author_may_approve,
            "approval_rules": [rule_definition(rule) for rule in state.approval_rules.all() if rule.override_id is None],
        }
        for state in template.states.all()
    ]


def transition_definitions(template) -> list[dict]:
    return [
        {
            "name": t.name,
            "label": t.label,
            "from_state": t.from_state.name,
            "to_state": t.to_state.name,
            "trigger": t.trigger,
            "required_permission": t.required_permission,
            "requires_signature": t.requires_signature,
            "signature_type": t.signature_type,
            "requires_comment": t.requires_comment,
        }
        for t in template.transitions.all()
    ]


def rule_definition(rule) -> dict:
    if rule.kind == RuleKind.ROLE:
        return {
            "kind": rule.kind,
            "role": rule.role.name if rule.role_id else None,
            "required_approvals": rule.required_approvals,
        }
    return {"kind": rule.kind, "users": sorted(u.pk for u in rule.users.all())}


@dataclass(frozen=True)
class AuditedDefinition:
    """A stored template version as the audit trail records it (audit.services.record_change
    diffs two snapshots of it: a changed template shows the parts that changed, before and after)."""

    audit_resource_type: ClassVar[str] = "workflow_template"
    audit_fields: ClassVar[list[str]] = ["version", "name", "description", "approve_permission", "states", "transitions"]

    pk: int
    version: int
    name: str
    description: str
    approve_permission: str
    states: list
    transitions: list

    @classmethod
    def of(cls, template) -> "AuditedDefinition":
        """`template` with its states, rules and transitions prefetched (selectors.template_list)."""
        return cls(pk=template.pk, version=template.version, **definition_of(template))
