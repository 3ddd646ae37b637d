"""Audit trail actions of imports and exports (listed in audit.actions.catalogue)."""

from audit.actions import AuditAction


class ImportAuditAction(AuditAction):
    IMPORT_START = "import_start", "Import run started"
    IMPORT_FINISH = "import_finish", "Import run finished"
    EXPORT = "export_records", "Records exported"
