"""Uploaded files of every module (document versions, deviation and CAPA attachments, evidence):
size limit, content-based type check, safe filenames, checksums, storage through Django's storage
API (local, S3 or GCS per STORAGE_TYPE) and audited downloads.

Every check runs before anything is written to storage.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
import zipfile
from contextlib import contextmanager
from enum import StrEnum
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.files.storage import default_storage

from qms.errors import DomainError


class ErrorCode(StrEnum):
    FILE_TOO_LARGE = "FILE_TOO_LARGE"  # 413: over MAX_UPLOAD_MB
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"  # 415: the content is not what the name says
    EMPTY_FILE = "EMPTY_FILE"  # 415: an empty upload


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Extension → the MIME type its content must have.
ALLOWED_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".docx": DOCX,
    ".xlsx": XLSX,
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
TEXT_TYPES = {"text/plain", "text/markdown"}
# Room for the multipart envelope and the other form fields around the file.
MULTIPART_ALLOWANCE = 1024 * 1024
_CHUNK = 1024 * 1024


class FileTooLarge(DomainError):
    status_code = 413
    error_code = ErrorCode.FILE_TOO_LARGE


class UnsupportedFileType(DomainError):
    status_code = 415
    error_code = ErrorCode.UNSUPPORTED_FILE_TYPE


def max_upload_bytes() -> int:
    return settings.MAX_UPLOAD_MB * 1024 * 1024


def _too_large() -> FileTooLarge:
    return FileTooLarge(
        f"The file is larger than the {settings.MAX_UPLOAD_MB} MB limit.", extra={"max_mb": settings.MAX_UPLOAD_MB}
    )


def check_request_size(content_length) -> None:
    """Refuses a request whose declared body is over the limit before any of it is read."""
    try:
        length = int(content_length or 0)
    except (TypeError, ValueError):
        return
    if length > max_upload_bytes() + MULTIPART_ALLOWANCE:
        raise _too_large()


def check_file_size(size: int) -> None:
    if size > max_upload_bytes():
        raise _too_large()
    if size == 0:
        raise UnsupportedFileType("The file is empty.", error_code=ErrorCode.EMPTY_FILE)


def sanitize_filename(name: str) -> str:
    """The last path component, NFKC-normalised, restricted to letters, digits, '.', '-', '_' and
    spaces, without leading dots; never empty, never a path."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[^\w.\- ]", "_", name, flags=re.ASCII)
    name = re.sub(r"\.{2,}", ".", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem[:150] or "file"
    return f"{stem}.{ext[:10]}" if ext else stem


def extension_of(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def detect_mime(fileobj) -> str | None:
    """The file's type judged from its content (not its name); None when it is none we accept."""
    fileobj.seek(0)
    head = fileobj.read(8192)
    fileobj.seek(0)
    if not head:
        return None
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime in ("application/pdf", "image/png", "image/jpeg"):
            return kind.mime
        if head.startswith(b"PK\x03\x04"):
            return _ooxml_kind(fileobj)
        return kind.mime
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(fileobj)
    return "text/plain" if _is_text(fileobj) else None


def _ooxml_kind(fileobj) -> str | None:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    finally:
        fileobj.seek(0)
    if "[Content_Types].xml" not in names:
        return "application/zip"
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return "application/zip"


def _is_text(fileobj) -> bool:
    """UTF-8 (BOM allowed) without NUL bytes or other control characters than tab and line breaks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := fileobj.read(_CHUNK):
            text = decoder.decode(chunk)
            if any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        fileobj.seek(0)
    return True


def validate_upload(uploaded) -> tuple[str, str]:
    """Checks size and type of an uploaded file; returns (safe filename, MIME type). 413 / 415."""
    check_file_size(uploaded.size)
    safe_name = sanitize_filename(uploaded.name)
    ext = extension_of(safe_name)
    allowed = ", ".join(sorted(ALLOWED_TYPES))
    if ext not in ALLOWED_TYPES:
        raise UnsupportedFileType(f"Files of type {ext or '(no extension)'} are not accepted. Allowed: {allowed}.")
    expected = ALLOWED_TYPES[ext]
    detected = detect_mime(uploaded)
    if expected in TEXT_TYPES:
        ok = detected == "text/plain"
    else:
        ok = detected == expected
    if not ok:
        raise UnsupportedFileType(
            f"The content of {safe_name!r} is not a valid {ext} file"
            + (f" (it looks like {detected})." if detected else ".")
            + " The type is checked from the content, not only the extension.",
            extra={"detected_type": detected, "expected_type": expected},
        )
    return safe_name, expected


def checked_uploads(uploads: list, *, field: str, max_files: int) -> list[tuple]:
    """(upload, safe name, MIME type, SHA-256) for each file of a record's upload request, after the
    upload checks (413/415 naming the part, e.g. loc ["attachments", 1]); more than `max_files`
    files is a 422. Used by every record module that keeps files (deviations, CAPA, ...)."""
    from qms.errors import InvalidInputs

    if len(uploads) > max_files:
        raise InvalidInputs([([field], f"Attach at most {max_files} files at once.", "value_error.list.max_items")])
    checked = []
    for index, upload in enumerate(uploads):
        try:
            name, mime = validate_upload(upload)
        except DomainError as exc:
            raise type(exc)(exc.detail, error_code=exc.error_code, extra={**exc.extra, "loc": [field, index]}) from exc
        checked.append((upload, name, mime, sha256_of(upload)))
    return checked


def stored_file_response(*, storage_name: str, name: str, mime_type: str, sha256: str, on_open=None):
    """A stored file as a download under its name and type, with X-Content-SHA256; `on_open()` runs
    once the file is open (e.g. to audit the download). A missing file is 404."""
    from django.http import FileResponse

    from qms.errors import NotFound

    try:
        handle = open_stored(storage_name)
    except OSError:
        raise NotFound("The stored file is missing.")
    if on_open is not None:
        on_open()
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=mime_type)
    response["X-Content-SHA256"] = sha256
    return response


def sha256_of(fileobj) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    while chunk := fileobj.read(_CHUNK):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def store(name: str, fileobj) -> str:
    """Writes a new file; an existing name is never overwritten (the storage picks a free one)."""
    fileobj.seek(0)
    return default_storage.save(name, fileobj)


def delete_quietly(name: str) -> None:
    """Removes a file written by a transaction that then failed (so nothing is left orphaned)."""
    try:
        default_storage.delete(name)
    except Exception:  # noqa: BLE001 - best effort cleanup; the original error matters more
        pass


@contextmanager
def removing_on_failure():
    """Collects the names of the files a use case writes (`written.append(name)`); when the block
    raises (its transaction rolled back), they are deleted again, so no file is left orphaned."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            delete_quietly(name)
        raise


def open_stored(name: str):
    return default_storage.open(name, "rb")
