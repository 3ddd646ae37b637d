"""The response to a document download, the same for the API and the pages: the stored file as an
attachment under its original name and content type, its SHA-256 in X-Content-SHA256, and the
download audited (services.record_download) once the file has been opened."""

from django.http import FileResponse

from . import files, services
from .models import Document, DocumentVersion


def download_response(*, actor, document: Document, version: DocumentVersion) -> FileResponse:
    handle = files.open_stored(version.file.name)
    services.record_download(actor=actor, document=document, version=version)
    response = FileResponse(handle, as_attachment=True, filename=version.original_filename, content_type=version.mime_type)
    response["X-Content-SHA256"] = version.sha256
    return response
