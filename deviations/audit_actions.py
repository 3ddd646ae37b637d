"""The actions the deviations app writes to the audit trail (`audit.services.record(action=...)`), listed
in the audit catalogue (audit.actions.catalogue: the audit page's action filter, the API's `action`
parameter). Workflow steps of deviations (start of the investigation, QA review, the closing
approval, cancel, reopen) are recorded by the workflow engine (workflows.audit_actions) and their
electronic signatures by audit.signatures ("sign"). CREATE, UPDATE share their values with
audit.actions.RecordAction."""

from audit.actions import AuditAction


class DeviationAction(AuditAction):
    CREATE = "create"  # a deviation reported (with its answers); a report form or a new draft version; a category, area or rule
    UPDATE = "update"  # a deviation's fields, a draft form, a category, area or due-date rule changed
    PUBLISH = "publish", "Report form published"  # a form version became the reporting form
    RETIRE = "retire", "Retired"  # the reporting form replaced by the one published
    LINK = "link", "Record linked"  # a related item (document version, deviation, CAPA) of a deviation
    UNLINK = "unlink", "Link removed"  # kept on record as removed, with the reason
    ATTACH = "attach", "Files attached"  # files added to a deviation under investigation
    DOWNLOAD = "download"  # a deviation's file downloaded
