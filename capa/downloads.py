"""The response to a download of a CAPA's file, the same for the API and the pages: the stored file
as an attachment under its name and type, its SHA-256 in X-Content-SHA256, the download audited."""

from django.http import FileResponse

from documents import files
from qms.errors import NotFound

from . import services


def attachment_response(user, capa, attachment) -> FileResponse:
    try:
        handle = files.open_stored(attachment.storage_name)
    except OSError:
        raise NotFound("The stored file is missing.")
    services.record_attachment_download(actor=user, capa=capa, attachment=attachment)
    response = FileResponse(handle, as_attachment=True, filename=attachment.name, content_type=attachment.mime_type)
    response["X-Content-SHA256"] = attachment.sha256
    return response
