"""The `error_code` values the documents app answers with (workflow steps of documents answer
with workflows.error_codes)."""

from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_EDITABLE = "NOT_EDITABLE"  # 409: the document's state does not allow the change
    ROW_VERSION_REQUIRED = "ROW_VERSION_REQUIRED"  # 422: an update without the row_version read
    CODE_IN_USE = "CODE_IN_USE"  # 409: the code of a type with documents cannot change
    CODE_TAKEN = "CODE_TAKEN"  # 409: another document type has that code
    NAME_TAKEN = "NAME_TAKEN"  # 409: another document type or template has that name
    TEMPLATE_INACTIVE = "TEMPLATE_INACTIVE"  # 409: documents cannot be made from an inactive template
    TEMPLATE_INVALID = "TEMPLATE_INVALID"  # 422: a template body with an undeclared placeholder
    TEMPLATE_VARIABLES_INVALID = "TEMPLATE_VARIABLES_INVALID"  # 422: variable values missing or of the wrong type
    WORKFLOW_INCOMPLETE = "WORKFLOW_INCOMPLETE"  # 409: the workflow cannot supersede the previous version
    FILE_TOO_LARGE = "FILE_TOO_LARGE"  # 413: over MAX_UPLOAD_MB
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"  # 415: the content is not what the name says
    EMPTY_FILE = "EMPTY_FILE"  # 415: an empty upload
    VERSION_EXISTS = "VERSION_EXISTS"  # 409: an imported version exists with another file
    VERSION_ORDER = "VERSION_ORDER"  # 409: an imported version is older than the document's latest
    NO_RENDITION = "NO_RENDITION"  # 409: no printed copy can be made of this kind of file (e.g. XLSX)
