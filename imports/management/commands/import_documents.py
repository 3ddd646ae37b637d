"""Loads legacy controlled documents from a manifest and a folder of files; see imports/loaders/documents.py.

manage.py import_documents manifest.csv --files /mnt/legacy/sops --as qa.manager [--dry-run]
"""

from imports.command import ImportCommand
from imports.loaders.documents import DocumentLoader


class Command(ImportCommand):
    help = "Import legacy document versions (manifest CSV/XLSX + files); idempotent by number, version and checksum."
    file_help = "The manifest (CSV or XLSX), one row per document version"
    loader_class = DocumentLoader

    def add_loader_arguments(self, parser):
        parser.add_argument("--files", help="Folder the manifest's file paths are relative to (default: the manifest's folder)")
        parser.add_argument("--state-map", help='Legacy state to workflow state, e.g. "Released=effective,Retired=obsolete"')
        parser.add_argument("--state-map-file", help="CSV or XLSX with the columns legacy_state,state")
