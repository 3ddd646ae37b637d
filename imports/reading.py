"""Reading the legacy files: CSV (any of UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252;
`,` `;` tab or `|` as delimiter, detected) and XLSX (the first sheet, or the one named), streamed
row by row so a file of any length is read in constant memory.

Headers are normalised (trimmed, lower case, spaces and dashes as `_`), cells are text (XLSX dates
as ISO dates, whole numbers without `.0`), trimmed. Rows are numbered as a spreadsheet shows them:
the header is row 1, the first record row 2.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qms.errors import InvalidInput

DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
_CHUNK = 1024 * 1024


class UnreadableFile(InvalidInput):
    error_code = "UNREADABLE_FILE"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    name: str
    size: int
    sha256: str


def describe(path: Path) -> SourceFile:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return SourceFile(path=path, name=path.name, size=size, sha256=digest.hexdigest())


@dataclass
class Row:
    number: int
    values: dict[str, str]

    def get(self, column: str, default: str = "") -> str:
        return self.values.get(column, default) or default


def normalise_header(name) -> str:
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lower())


def detect_encoding(path: Path) -> str:
    """utf-8-sig for UTF-8 (with or without BOM), utf-16 with its BOM, else Windows-1252 (what older
    Excel and many legacy systems write)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def detect_delimiter(sample: str) -> str:
    """The delimiter of the header line: the candidate it contains most often (`,` when none)."""
    header = sample.splitlines()[0] if sample else ""
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


class Table:
    """A file's header and its rows; `rows()` may be iterated more than once (each time from the start)."""

    def __init__(self, path: Path, *, encoding: str | None = None, delimiter: str | None = None, sheet: str | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise UnreadableFile(f"{self.path} is not a file.", field="file")
        suffix = self.path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            self.format = "xlsx"
        elif suffix in (".csv", ".txt", ".tsv"):
            self.format = "csv"
        else:
            raise UnreadableFile(f"{self.path.name}: give a .csv or .xlsx file.", field="file")
        self.sheet = sheet
        self.encoding = encoding
        self.delimiter = delimiter
        if self.format == "csv":
            self.encoding = encoding or detect_encoding(self.path)
            if not delimiter:
                with open(self.path, encoding=self.encoding, newline="") as handle:
                    self.delimiter = detect_delimiter(handle.read(SNIFF_BYTES))
        self.headers = [normalise_header(h) for h in self._raw_headers()]
        if not any(self.headers):
            raise UnreadableFile(f"{self.path.name} has no header row.", field="file")

    def describe(self) -> str:
        if self.format == "xlsx":
            return f"XLSX{f' sheet {self.sheet}' if self.sheet else ''}"
        return f"CSV, {self.encoding}, delimiter {self.delimiter!r}"

    def _raw_headers(self) -> list:
        for values in self._records():
            return list(values)
        return []

    def _records(self) -> Iterator[list]:
        if self.format == "csv":
            with open(self.path, encoding=self.encoding, newline="") as handle:
                yield from csv.reader(handle, delimiter=self.delimiter)
        else:
            yield from self._xlsx_records()

    def _xlsx_records(self) -> Iterator[list]:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException for broken files
            raise UnreadableFile(f"{self.path.name} is not a readable XLSX file ({exc}).", field="file") from exc
        try:
            if self.sheet and self.sheet not in workbook.sheetnames:
                raise UnreadableFile(f"{self.path.name} has no sheet {self.sheet!r}.", field="sheet")
            worksheet = workbook[self.sheet] if self.sheet else workbook.worksheets[0]
            for values in worksheet.iter_rows(values_only=True):
                yield [_cell_text(v) for v in values]
        finally:
            workbook.close()

    def rows(self) -> Iterator[Row]:
        records = self._records()
        next(records, None)  # the header
        width = len(self.headers)
        for index, values in enumerate(records, start=2):
            if not any((v or "").strip() for v in values):
                continue  # blank lines
            cells = {self.headers[i]: (values[i] or "").strip() for i in range(min(width, len(values))) if self.headers[i]}
            yield Row(number=index, values=cells)

    def count(self) -> int:
        return sum(1 for _ in self.rows())


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# --- cell parsing shared by the loaders -------------------------------------------------------------

TRUE = {"1", "true", "yes", "y", "x", "active", "ja", "oui", "si", "sí"}
FALSE = {"0", "false", "no", "n", "", "inactive", "nein", "non"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d")


class CellError(Exception):
    """A cell's value cannot be used: reported in the error report at (row, field)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def parse_bool(value: str, field: str, *, default: bool | None = None) -> bool:
    text = (value or "").strip().lower()
    if not text and default is not None:
        return default
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise CellError(field, f"{value!r} is not yes/no (use yes, no, true, false, 1 or 0).")


def parse_date(value: str, field: str, *, required: bool = False) -> datetime.date | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise CellError(field, "A date is required (YYYY-MM-DD).")
        return None
    text = text.split("T")[0].split(" ")[0]
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(field, f"{value!r} is not a date (YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY).")


def split_list(value: str) -> list[str]:
    """A list in one cell: separated by `;`, `,` or `|`."""
    return [part.strip() for part in re.split(r"[;,|]", value or "") if part.strip()]


def require_cell(row: Row, column: str) -> str:
    value = row.get(column)
    if not value:
        raise CellError(column, f"{column} is required.")
    return value


def csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()
