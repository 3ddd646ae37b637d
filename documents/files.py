"""Files of document versions: the platform's upload checks and storage (qms.files, shared with
every module that takes files) and what is particular to document versions."""

import hashlib

from django.utils.text import slugify

from qms.files import *  # noqa: F403 - documents use the platform's file helpers under this name
from qms.files import _CHUNK, extension_of, open_stored


def storage_name(*, document_id: int, title: str, version: str, filename: str) -> str:
    """documents/<id>/<title-slug>-v<version><ext>, e.g. documents/123/quality-manual-v1.0.pdf."""
    slug = slugify(title)[:60].strip("-") or "document"
    return f"documents/{document_id}/{slug}-v{version}{extension_of(filename)}"


def checksum_problem(version) -> str | None:
    """None when the version's stored file still has its recorded SHA-256 and size, else what is wrong."""
    label = f"{version.document.number} v{version.version} ({version.file.name})"
    digest, size = hashlib.sha256(), 0
    try:
        with open_stored(version.file.name) as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        return f"{label}: missing or unreadable ({exc})"
    if digest.hexdigest() != version.sha256 or size != version.file_size:
        return (
            f"{label}: content changed (sha256 {digest.hexdigest()[:12]}…, {size} bytes; "
            f"recorded {version.sha256[:12]}…, {version.file_size} bytes)"
        )
    return None
