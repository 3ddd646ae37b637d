from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Controlled documents"

    def ready(self):
        from audit.signatures import register_signable

        from . import checks, handlers, records, signables  # noqa: F401 - the storage system checks and the event handlers
        from .indexing import register_documents
        from .models import DocumentVersion

        # Documents are a controlled record type of the workflow kit; this also makes them signable
        # ("document": POST /api/signatures/ {"document_id": ...} signs the current version).
        records.register()
        # Approvals and signed transitions sign the version they are about (subject: the document).
        register_signable(
            "document_version",
            DocumentVersion,
            view_permission="documents.view",
            label="Document version",
            can_view=signables.can_view_version,
            visible_ids=signables.visible_version_ids,
            direct_meanings=signables.version_meanings,
            subject="document",
        )
        register_documents()
