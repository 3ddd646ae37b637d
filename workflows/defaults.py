"""The default "Document approval" workflow, seeded by a data migration.

draft → in_review → (approvals: one QA Manager and one QA, author excluded) → approved → effective
→ superseded (when a revision becomes effective) or obsolete; in_review → rejected → draft.
"""

DOCUMENT_APPROVAL = {
    "name": "Document approval",
    "description": (
        "Controlled document life cycle: draft, review with two approvals (one QA Manager and one QA, "
        "never the author), approved, effective, then superseded by a revision or made obsolete."
    ),
    "approve_permission": "documents.approve",
    "states": [
        {"name": "draft", "label": "Draft", "kind": "draft", "is_initial": True},
        {
            "name": "in_review",
            "label": "In review",
            "kind": "in_review",
            "approval_mode": "all",
            "author_may_approve": False,
            "approval_rules": [
                {"kind": "role", "role": "QA Manager", "required_approvals": 1},
                {"kind": "role", "role": "QA", "required_approvals": 1},
            ],
        },
        {"name": "rejected", "label": "Rejected", "kind": "rejected"},
        {"name": "approved", "label": "Approved", "kind": "approved"},
        {"name": "effective", "label": "Effective", "kind": "effective"},
        {"name": "superseded", "label": "Superseded", "kind": "superseded", "is_terminal": True},
        {"name": "obsolete", "label": "Obsolete", "kind": "obsolete", "is_terminal": True},
    ],
    "transitions": [
        {
            "name": "submit",
            "label": "Submit for review",
            "from_state": "draft",
            "to_state": "in_review",
            "required_permission": "documents.transition",
        },
        {
            "name": "withdraw",
            "label": "Withdraw",
            "from_state": "draft",
            "to_state": "obsolete",
            "required_permission": "documents.obsolete",
            "requires_signature": True,
            "signature_type": "responsibility",
            "requires_comment": True,
        },
        {"name": "approve", "label": "Approve", "from_state": "in_review", "to_state": "approved", "trigger": "approval"},
        {
            "name": "reject",
            "label": "Reject",
            "from_state": "in_review",
            "to_state": "rejected",
            "required_permission": "documents.approve",
            "requires_signature": True,
            "signature_type": "review",
            "requires_comment": True,
        },
        {
            "name": "rework",
            "label": "Return to draft",
            "from_state": "rejected",
            "to_state": "draft",
            "required_permission": "documents.transition",
        },
        {
            "name": "withdraw",
            "label": "Withdraw",
            "from_state": "rejected",
            "to_state": "obsolete",
            "required_permission": "documents.obsolete",
            "requires_signature": True,
            "signature_type": "responsibility",
            "requires_comment": True,
        },
        {
            "name": "make_effective",
            "label": "Make effective",
            "from_state": "approved",
            "to_state": "effective",
            "required_permission": "documents.transition",
        },
        {
            "name": "obsolete",
            "label": "Make obsolete",
            "from_state": "effective",
            "to_state": "obsolete",
            "required_permission": "documents.obsolete",
            "requires_signature": True,
            "signature_type": "responsibility",
            "requires_comment": True,
        },
        {"name": "supersede", "label": "Supersede", "from_state": "effective", "to_state": "superseded", "trigger": "system"},
    ],
}


def write_definition(definition: dict, *, Template, State, Transition, Rule, Role) -> object:
    """Creates a template from a definition with the given (historical) models; for data migrations."""
    extra = {}
    if definition.get("approve_permission") and any(f.name == "approve_permission" for f in Template._meta.get_fields()):
        extra["approve_permission"] = definition["approve_permission"]  # (migrations after workflows 0003)
    template = Template.objects.create(name=definition["name"], description=definition.get("description", ""), **extra)
    states = {}
    for order, s in enumerate(definition["states"]):
        states[s["name"]] = State.objects.create(
            template=template,
            name=s["name"],
            label=s.get("label", s["name"]),
            kind=s["kind"],
            is_initial=s.get("is_initial", False),
            is_terminal=s.get("is_terminal", False),
            order=order,
            approval_mode=s.get("approval_mode", "all"),
            author_may_approve=s.get("author_may_approve", False),
        )
        for r_order, r in enumerate(s.get("approval_rules", [])):
            Rule.objects.create(
                state=states[s["name"]],
                kind=r["kind"],
                role=Role.objects.get(name=r["role"]),
                required_approvals=r["required_approvals"],
                order=r_order,
            )
    for order, t in enumerate(definition["transitions"]):
        Transition.objects.create(
            template=template,
            name=t["name"],
            label=t.get("label", t["name"]),
            from_state=states[t["from_state"]],
            to_state=states[t["to_state"]],
            trigger=t.get("trigger", "manual"),
            required_permission=t.get("required_permission", ""),
            requires_signature=t.get("requires_signature", False),
            signature_type=t.get("signature_type", "approval"),
            requires_comment=t.get("requires_comment", False),
            order=order,
        )
    return template
