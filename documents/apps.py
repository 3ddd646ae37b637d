from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Controlled documents"

    def ready(self):
        from audit.signatures import register_signable

        from . import checks, signables  # noqa: F401 - checks registers the storage system checks
        from .models import Document, DocumentVersion

        # POST /api/signatures/ {"document_id": ...} signs the document's current version;
        # approvals and signed transitions sign the version they are about (subject: the document).
        register_signable(
            "document",
            Document,
            view_permission="documents.view",
            label="Document",
            can_view=signables.can_view_document,
            visible_filter=signables.visible_document_signatures,
            direct_meanings=signables.document_meanings,
        )
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
