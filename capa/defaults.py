"""The default "CAPA handling" workflow, seeded by a data migration (capa/migrations/0002).

draft → (approve draft: a QA Manager's electronic signature, meaning CAPA plan approval) → open →
in progress → pending effectiveness → (one QA Manager approves with an electronic signature, never
the CAPA's author) → closed. A CAPA created with linked documents skips the draft (the system
activates it at once). An effectiveness review recorded as not effective sends the CAPA back to
in progress (system); it can also be returned there with a comment. Cancelled, with a reason and a
signature, from any state before closure.
"""

APPROVE_DRAFT = "approve_draft"
ACTIVATE = "activate"
REOPEN_NOT_EFFECTIVE = "reopen_not_effective"
SUBMIT_FOR_EFFECTIVENESS = "submit_for_effectiveness"


def _cancel(from_state: str) -> dict:
    return {
        "name": "cancel",
        "label": "Cancel",
        "from_state": from_state,
        "to_state": "cancelled",
        "required_permission": "capa.manage",
        "requires_signature": True,
        "signature_type": "responsibility",
        "requires_comment": True,
    }


CAPA_HANDLING = {
    "name": "CAPA handling",
    "description": (
        "Draft (CAPA plan approved by a QA Manager with an electronic signature), open, in progress, pending "
        "effectiveness, closed by a QA Manager's electronic signature once every action is done and an effectiveness "
        "review found it effective; cancelled with a reason and a signature."
    ),
    "approve_permission": "capa.approve",
    "states": [
        {"name": "draft", "label": "Draft", "kind": "draft", "is_initial": True},
        {"name": "open", "label": "Open", "kind": "open"},
        {"name": "in_progress", "label": "In progress", "kind": "in_progress"},
        {
            "name": "pending_effectiveness",
            "label": "Pending effectiveness",
            "kind": "in_review",
            "approval_mode": "all",
            "author_may_approve": False,
            "approval_rules": [{"kind": "role", "role": "QA Manager", "required_approvals": 1}],
        },
        {"name": "closed", "label": "Closed", "kind": "closed", "is_terminal": True},
        {"name": "cancelled", "label": "Cancelled", "kind": "cancelled", "is_terminal": True},
    ],
    "transitions": [
        {
            "name": APPROVE_DRAFT,
            "label": "Approve CAPA plan",
            "from_state": "draft",
            "to_state": "open",
            "required_permission": "capa.approve_draft",
            "requires_signature": True,
            "signature_type": "approval",
        },
        {
            "name": ACTIVATE,
            "label": "Activate (linked documents)",
            "from_state": "draft",
            "to_state": "open",
            "trigger": "system",
        },
        _cancel("draft"),
        {
            "name": "start_work",
            "label": "Start work",
            "from_state": "open",
            "to_state": "in_progress",
            "required_permission": "capa.edit",
        },
        _cancel("open"),
        {
            "name": SUBMIT_FOR_EFFECTIVENESS,
            "label": "Submit for effectiveness check",
            "from_state": "in_progress",
            "to_state": "pending_effectiveness",
            "required_permission": "capa.edit",
        },
        _cancel("in_progress"),
        {"name": "close", "label": "Close", "from_state": "pending_effectiveness", "to_state": "closed", "trigger": "approval"},
        {
            "name": "return_to_progress",
            "label": "Return to in progress",
            "from_state": "pending_effectiveness",
            "to_state": "in_progress",
            "required_permission": "capa.edit",
            "requires_comment": True,
        },
        {
            "name": REOPEN_NOT_EFFECTIVE,
            "label": "Reopened: not effective",
            "from_state": "pending_effectiveness",
            "to_state": "in_progress",
            "trigger": "system",
        },
        _cancel("pending_effectiveness"),
    ],
}

STATE_LABELS = {state["name"]: state["label"] for state in CAPA_HANDLING["states"]}
STATE_KINDS = {state["name"]: state["kind"] for state in CAPA_HANDLING["states"]}
# States in which a CAPA is finished (no due date applies any more).
DONE_STATUSES = ("closed", "cancelled")
# A CAPA raised from a deviation takes its priority from the deviation's severity.
PRIORITY_FOR_SEVERITY = {"Low": "low", "Medium": "medium", "High": "high", "Critical": "critical"}
# Days from creation to the due date of a CAPA raised from a deviation, by priority.
DUE_DAYS = {"low": 90, "medium": 60, "high": 45, "critical": 30}
