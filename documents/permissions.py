"""Permission codenames of document control: documents, document types and templates (collected by
accounts.catalog)."""

PERMISSIONS: dict[str, str] = {
    "documents.view": "View controlled documents, their versions and history",
    "documents.create": "Upload new documents and new versions",
    "documents.edit": "Edit document metadata",
    "documents.transition": "Move documents through their workflow (submit, reject, make effective)",
    "documents.approve": "Approve or review documents with an electronic signature",
    "documents.obsolete": "Make documents obsolete",
    "documents.configure_approval": "Configure per-document approvers and approval rules",
    "documents.download": "Download document files",
    "document_types.view": "View document types",
    "document_types.manage": "Create and change document types",
    "templates.view": "View document templates",
    "templates.manage": "Create and change document templates",
    "templates.use": "Create documents from templates",
}
