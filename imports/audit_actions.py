"""Audit trail actions of imports and exports."""

from enum import StrEnum


class ImportAuditAction(StrEnum):
    IMPORT_START = "import_start"
    IMPORT_FINISH = "import_finish"
    EXPORT = "export"
