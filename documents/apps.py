from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Controlled documents"

    def ready(self):
        from audit.signatures import register_signable

        from . import checks  # noqa: F401 - registers the storage system checks
        from .indexing import register_documents
        from .models import Document, DocumentVersion

        # POST /api/signatures/ {"document_id": ...} signs the document's current version;
        # approvals and signed transitions sign the version they are about.
        register_signable("document", Document, view_permission="documents.view", label="Document")
        register_signable("document_version", DocumentVersion, view_permission="documents.view", label="Document version")
        register_documents()
