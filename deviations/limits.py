"""Text and size limits of deviations and their report forms, in one place. The models declare them,
the serializers and page forms check them for early messages, and the services and the form engine
check them themselves (a longer value is a 422 naming the field and the limit), so a command or the
admin is held to them as the API is. Sizes every module shares (reasons) come from qms.api.limits.
"""

from qms.api import limits as shared

Problem = tuple[list, str, str]

# --- deviation records --------------------------------------------------------------------------------
NUMBER = 30
TITLE = 255
PRODUCT = 200
BATCH = 200
LONG_TEXT = 20000  # description, immediate action, impact assessment, root cause, rationales
REASON = shared.REASON  # reasons for changes, links and unlinks
NAME = 100  # categories and areas
SITE = 100
DESCRIPTION = 2000  # of a category or an area, and of an attachment
LINK_TARGET = 50  # a link's or a picker's target as typed: an id or a number such as SOP-0001
VERSION = 20
SEARCH = 200
SUGGESTION_METHOD = 50
MAX_ATTACHMENTS_PER_REQUEST = 20

# The longest text each free-text field of a deviation takes.
DEVIATION_TEXTS = {
    "title": TITLE,
    "description": LONG_TEXT,
    "product": PRODUCT,
    "batch": BATCH,
    "severity_rationale": LONG_TEXT,
    "immediate_action": LONG_TEXT,
    "impact_assessment": LONG_TEXT,
    "root_cause": LONG_TEXT,
    "capa_decision_rationale": LONG_TEXT,
}

# --- report form definitions (deviations/definition.py) -----------------------------------------------
KEY = 50  # a section's or a field's key
FORM_NAME = 200
FORM_DESCRIPTION = 5000
LABEL = 200  # section titles, field labels, option labels, pattern messages
HELP_TEXT = 2000  # field help texts, section descriptions
REGEX = 500
OPTION_VALUE = 100
BOUND = 20  # a number or date bound as typed in the editor ("today", 2025-01-01, 1e6)
DEFAULT_TEXT = TEXT_ANSWER = 1000  # a default as typed in the editor; the longest text field
MAX_SECTIONS = 30
MAX_FIELDS = 200
MAX_OPTIONS = 100
OPTIONS_TEXT = MAX_OPTIONS * (OPTION_VALUE + LABEL + 4)  # the editor's options box ("value | label" lines)

# --- answers (deviations/forms_engine.py) ---------------------------------------------------------------
TEXTAREA_ANSWER = LONG_TEXT
DEFAULT_ANSWER_LENGTH = {"text": 255, "textarea": 10000}  # without the field's own max_length
MAX_FILES_PER_FIELD = 10
NUMBER_TEXT = 50  # a number answer as typed
MAX_REFERENCES_PER_FIELD = 50


def too_long(values: dict, maxima: dict, *, loc: tuple = ()) -> list[Problem]:
    """One located problem per text in `values` longer than its maximum in `maxima`."""
    return [
        ([*loc, name], f"At most {maxima[name]} characters (this has {len(value)}).", "value_error.any_str.max_length")
        for name, value in values.items()
        if name in maxima and isinstance(value, str) and len(value) > maxima[name]
    ]
