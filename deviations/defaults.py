"""The "Standard deviation report" form, seeded (active, version 1) by a data migration.

Its field keys follow the deviation record's vocabulary (title, description, occurred_at, area,
category, severity, product, batch, immediate_action ...), so a reported deviation can read them
by key.
"""


def _field(key, label, type_, **extra) -> dict:
    return {
        "key": key,
        "label": label,
        "type": type_,
        "help_text": extra.pop("help_text", ""),
        "required": extra.pop("required", False),
        "options": extra.pop("options", []),
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
                    "area", "Area / location", "text", required=True, max_length=200, help_text="Site, building, room or line."
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
                _field(
                    "category",
                    "Category",
                    "select",
                    required=True,
                    options=_options(
                        "Equipment",
                        "Process",
                        "Materials",
                        "Documentation",
                        "Personnel",
                        "Facilities and environment",
                        "Laboratory",
                        "Other",
                    ),
                ),
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
