"""The actions the documents app writes to the audit trail (`audit.services.record(action=...)`), listed
in the audit catalogue (audit.actions.catalogue); workflow steps of documents are recorded by the
workflow engine (workflows.audit_actions)."""

from audit import actions


class AuditAction(actions.AuditAction):
    CREATE = "create"  # a document (version 1.0), a new version or revision, a type, a template
    UPDATE = "update"  # metadata of a document, a type or a template changed
    PROCESS = "process"  # text extraction of a version finished (or failed)
    DOWNLOAD = "download"  # a version's file was downloaded
    PRINT_COPY = "print_copy"  # a numbered controlled (or uncontrolled) copy of a version was issued
