"""The response to a download of a deviation's file, the same for the API and the pages: the stored
file as an attachment under its name and content type, its SHA-256 in X-Content-SHA256, and the
download audited (services.record_attachment_download) once the file has been opened."""

from qms import files

from . import services


def attachment_response(user, deviation, attachment):
    """A deviation's file as an attachment under its name and type, with its checksum; audited."""
    return files.stored_file_response(
        storage_name=attachment.storage_name,
        name=attachment.name,
        mime_type=attachment.mime_type,
        sha256=attachment.sha256,
        on_open=lambda: services.record_attachment_download(actor=user, deviation=deviation, attachment=attachment),
    )
