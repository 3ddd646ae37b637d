"""The "Standard deviation report" form, seeded (active, version 1) by a data migration.

Its field keys follow the deviation record's vocabulary (title, description, occurred_at, area,
category, severity, product, batch, immediate_action ...): a reported deviation takes those fields
from the answers (deviations/reporting.py). Category and area offer the categories and areas kept
in the admin (`options_from`); the defaults below are seeded with them.
"""

DEFAULT_CATEGORIES = [
    "Equipment",
    "Process",
    "Materials",
    "Documentation",
    "Personnel",
    "Facilities and environment",
    "Laboratory",
    "Other",
]
DEFAULT_AREAS = [
    ("Production: filling line 1", "Main site"),
    ("Production: filling line 2", "Main site"),
    ("Packaging", "Main site"),
    ("Warehouse", "Main site"),
    ("QC laboratory", "Main site"),
    ("Utilities", "Main site"),
]
# Days from the report to the due date, per severity.
DEFAULT_DUE_DAYS = {"Critical": 7, "High": 15, "Medium": 30, "Low": 60}


def _field(key, label, type_, **extra) -> dict:
    return {
        "key": key,
        "label": label,
        "type": type_,
        "help_text": extra.pop("help_text", ""),
        "required": extra.pop("required", False),
        "options": extra.pop("options", []),
        "options_from": extra.pop("options_from", None),
        "default": extra.pop("default", None),
        "min": extra.pop("min", None),
        "max": extra.pop("max", None),
        "max_length": extra.pop("max_length", None),
        "regex": extra.pop("regex", None),
        "regex_message": extra.pop("regex_message", ""),
        "multiple": extra.pop("multiple", False),
        "suggest": extra.pop("suggest", None),
    }


def _options(*values) -> list[dict]:
    return [{"value": v, "label": v} for v in values]


STANDARD_DEVIATION_REPORT = {
    "name": "Standard deviation report",
    "description": "How anyone on site reports an unplanned departure from an approved procedure or specification.",
    "sections": [
        {
            "key": "event",
            "title": "Event",
            "description": "What happened, when and where.",
            "fields": [
                _field(
                    "title",
                    "Title",
                    "text",
                    required=True,
                    max_length=200,
                    help_text="A short summary, e.g. 'Filling line 2 stopped: torn seal'.",
                ),
                _field(
                    "description",
                    "Description",
                    "textarea",
                    required=True,
                    help_text="What was expected, what happened instead, how it was noticed.",
                ),
                _field("occurred_at", "Date it occurred", "date", required=True, max="today"),
                _field("discovered_at", "Date it was discovered", "date", max="today"),
                _field(
                    "area",
                    "Area / location",
                    "select",
                    required=True,
                    options_from="deviation_areas",
                    help_text="Site, building, room or line (the areas QA keeps in the admin).",
                ),
                _field(
                    "procedure",
                    "Procedure concerned",
                    "document_picker",
                    multiple=True,
                    help_text="The SOPs or work instructions that were not followed; search by number or title.",
                ),
            ],
        },
        {
            "key": "classification",
            "title": "Classification",
            "description": "QA confirms or changes the classification during review.",
            "fields": [
                _field("category", "Category", "select", required=True, options_from="deviation_categories"),
                _field(
                    "severity",
                    "Severity",
                    "select",
                    required=True,
                    options=_options("Low", "Medium", "High", "Critical"),
                    suggest="severity",
                    help_text="Potential impact on product quality and patient safety.",
                ),
                _field("severity_rationale", "Why this severity", "textarea", max_length=2000),
            ],
        },
        {
            "key": "product",
            "title": "Product & batch",
            "description": "Leave empty when no product is concerned.",
            "fields": [
                _field("product", "Product", "text", max_length=200),
                _field("batch", "Batch / lot numbers", "text", max_length=200, help_text="Comma-separated."),
                _field("quantity_affected", "Quantity affected", "number", min=0, help_text="Units, kg or litres as recorded."),
            ],
        },
        {
            "key": "immediate_action",
            "title": "Immediate action",
            "description": "What was done at once to contain the deviation.",
            "fields": [
                _field("immediate_action", "Immediate action taken", "textarea", required=True),
                _field("product_quarantined", "Affected product is quarantined", "checkbox"),
            ],
        },
        {
            "key": "attachments",
            "title": "Attachments",
            "description": "Photos and records that show what happened.",
            "fields": [
                _field("photos", "Photos", "image", multiple=True),
                _field(
                    "files",
                    "Other files",
                    "file",
                    multiple=True,
                    help_text="Batch records, printouts, logs (PDF, Word, Excel, text).",
                ),
            ],
        },
    ],
}


# --- the default workflow -----------------------------------------------------------------------------

# reported → under investigation → QA review (one QA Manager approves with an electronic signature,
# never the reporter) → closed; returned from review to the investigation with a comment; cancelled
# (signed, with a reason) while reported or under investigation; a closed deviation is reopened
# (signed, with a reason) back into investigation.
DEVIATION_HANDLING = {
    "name": "Deviation handling",
    "description": (
        "Reported, under investigation, QA review (one QA Manager approves with an electronic signature, never the "
        "reporter), closed; cancelled or reopened with a reason and a signature."
    ),
    "approve_permission": "deviations.approve",
    "states": [
        {"name": "reported", "label": "Reported", "kind": "open", "is_initial": True},
        {"name": "under_investigation", "label": "Under investigation", "kind": "in_progress"},
        {
            "name": "qa_review",
            "label": "QA review",
            "kind": "in_review",
            "approval_mode": "all",
            "author_may_approve": False,
            "approval_rules": [{"kind": "role", "role": "QA Manager", "required_approvals": 1}],
        },
        {"name": "closed", "label": "Closed", "kind": "closed"},
        {"name": "cancelled", "label": "Cancelled", "kind": "cancelled", "is_terminal": True},
    ],
    "transitions": [
        {
            "name": "start_investigation",
            "label": "Start investigation",
            "from_state": "reported",
            "to_state": "under_investigation",
            "required_permission": "deviations.edit",
        },
        {
            "name": "cancel",
            "label": "Cancel",
            "from_state": "reported",
            "to_state": "cancelled",
            "required_permission": "deviations.approve",
            "requires_signature": True,
            "signature_type": "responsibility",
            "requires_comment": True,
        },
        {
            "name": "submit_for_review",
            "label": "Submit for QA review",
            "from_state": "under_investigation",
            "to_state": "qa_review",
            "required_permission": "deviations.edit",
        },
        {
            "name": "cancel",
            "label": "Cancel",
            "from_state": "under_investigation",
            "to_state": "cancelled",
            "required_permission": "deviations.approve",
            "requires_signature": True,
            "signature_type": "responsibility",
            "requires_comment": True,
        },
        {"name": "close", "label": "Close", "from_state": "qa_review", "to_state": "closed", "trigger": "approval"},
        {
            "name": "return_to_investigation",
            "label": "Return to investigation",
            "from_state": "qa_review",
            "to_state": "under_investigation",
            "required_permission": "deviations.approve",
            "requires_comment": True,
        },
        {
            "name": "reopen",
            "label": "Reopen",
            "from_state": "closed",
            "to_state": "under_investigation",
            "required_permission": "deviations.approve",
            "requires_signature": True,
            "signature_type": "responsibility",
            "requires_comment": True,
        },
    ],
}

# The default workflow's state labels and kinds by name (for lists, badges and messages).
STATE_LABELS = {state["name"]: state["label"] for state in DEVIATION_HANDLING["states"]}
STATE_KINDS = {state["name"]: state["kind"] for state in DEVIATION_HANDLING["states"]}
