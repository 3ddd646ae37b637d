"""Audit trail actions of the deviations app (`audit.services.record(action=...)` takes them as strings)."""

from enum import StrEnum


class DeviationAuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    PUBLISH = "publish"
    RETIRE = "retire"
    LINK = "link"
    UNLINK = "unlink"
    ATTACH = "attach"
    DOWNLOAD = "download"
