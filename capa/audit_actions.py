"""Audit trail actions of the CAPA app (`audit.services.record(action=...)` takes them as strings)."""

from enum import StrEnum


class CapaAuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    LINK = "link"
    UNLINK = "unlink"
    ATTACH = "attach"
    DOWNLOAD = "download"
    ADD_ACTION = "add_action"
    UPDATE_ACTION = "update_action"
    COMPLETE_ACTION = "complete_action"
    EXTEND_DUE_DATE = "extend_due_date"
    PLAN_REVIEW = "plan_review"
    UPDATE_REVIEW = "update_review"
    RECORD_EFFECTIVENESS = "record_effectiveness"
    FLAG_REVIEW_DUE = "flag_review_due"
