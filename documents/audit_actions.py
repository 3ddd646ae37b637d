"""The actions the documents app writes to the audit trail (`audit.services.record(action=...)`);
workflow steps of documents are recorded by the workflow engine (workflows.audit_actions)."""

from enum import StrEnum


class AuditAction(StrEnum):
    CREATE = "create"  # a document (version 1.0), a new version or revision, a type, a template
    UPDATE = "update"  # metadata of a document, a type or a template changed
    PROCESS = "process"  # text extraction of a version finished (or failed)
    DOWNLOAD = "download"  # a version's file was downloaded
