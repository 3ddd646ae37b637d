"""Picker fields link answers to other records: a registry of resolvers by field type.

A resolver turns what a reporter picked (ids, or numbers such as "SOP-0001") into references to
records that reporter may view, and searches them for the picker on the page. `deviations` ships
the document resolver and a CAPA placeholder that says CAPAs are not available yet; the CAPA
module replaces it from its AppConfig.ready() without `deviations` importing `capa`:

    from deviations.pickers import register_picker
    register_picker("capa_picker", CapaPicker())

A reference is `{"type": <record type>, "id", "number", "title", "version"}` (`version` may be null).
"""

from __future__ import annotations

from django.db.models import Q

MAX_SEARCH_RESULTS = 20


class Picker:
    """What a picker field type needs: resolve picked tokens and search candidates, for one user."""

    record_type = ""
    record_label = "record"  # "document", used in messages: "No document SOP-0009 that you may view."
    plural_label = "records"
    available = True
    unavailable_reason = ""

    def resolve(self, user, tokens: list) -> dict:
        """{token: reference} for the tokens (int ids or upper-case numbers) naming records `user` may view."""
        raise NotImplementedError

    def search(self, user, query: str, *, limit: int = MAX_SEARCH_RESULTS) -> list[dict]:
        """References to records `user` may view whose number or title contains `query`."""
        raise NotImplementedError

    def resolve_version(self, user, reference: dict, version: str) -> dict | None:
        """The reference at `version` when the user may view that version of the record (records
        without versions: only their own reference's version matches)."""
        return reference if version == reference.get("version") else None


class NumberedRecordPicker(Picker):
    """Records with a `number` and a `title` that the user may view (`visible(user)`), picked by id
    or number and searched by number or title; `reference(record)` says how a pick is kept. The
    CAPA module's picker can be one of these."""

    search_order = "number"

    def visible(self, user):
        raise NotImplementedError

    def reference(self, record) -> dict:
        raise NotImplementedError

    def resolve(self, user, tokens: list) -> dict:
        ids = [t for t in tokens if isinstance(t, int)]
        numbers = [t for t in tokens if isinstance(t, str)]
        if not ids and not numbers:
            return {}
        found = {}
        for record in self.visible(user).filter(Q(pk__in=ids) | Q(number__in=numbers)):
            found[record.pk] = found[record.number.upper()] = self.reference(record)
        return {t: found[t] for t in tokens if t in found}

    def search(self, user, query: str, *, limit: int = MAX_SEARCH_RESULTS) -> list[dict]:
        query = (query or "").strip()
        qs = self.visible(user)
        if query:
            qs = qs.filter(Q(number__icontains=query) | Q(title__icontains=query))
        return [self.reference(record) for record in qs.order_by(self.search_order)[:limit]]


class DocumentPicker(NumberedRecordPicker):
    """Controlled documents the user may view (documents.selectors.document_list), referenced with
    the version the user sees: the effective one, or for authors and reviewers of a document that
    is not effective yet, its current version."""

    record_type = "document"
    record_label = "document"
    plural_label = "documents"

    def visible(self, user):
        from documents.selectors import document_list

        qs = document_list(user)
        return qs if user.has_qms_permission("documents.view") else qs.none()

    def resolve_version(self, user, reference: dict, version: str) -> dict | None:
        from documents.selectors import versions_visible_to

        document = self.visible(user).filter(pk=reference["id"]).first()
        if document is None or not versions_visible_to(user, document).filter(version=version).exists():
            return None
        return {**reference, "version": version}

    def reference(self, document) -> dict:
        version = document.effective_version or document.current_version
        return {
            "type": "document",
            "id": document.pk,
            "number": document.number,
            "title": document.title,
            "version": version.version if version else None,
        }


class DeviationPicker(NumberedRecordPicker):
    """Deviations the user may view (their own reports, or all with deviations.view); for links
    between deviations."""

    record_type = "deviation"
    record_label = "deviation"
    plural_label = "deviations"
    search_order = "-number"

    def visible(self, user):
        from .selectors import visible_deviations

        return visible_deviations(user).select_related(None).only("pk", "number", "title")

    def reference(self, deviation) -> dict:
        return {"type": "deviation", "id": deviation.pk, "number": deviation.number, "title": deviation.title, "version": None}


class UnavailablePicker(Picker):
    """A picker whose records do not exist in this installation (yet): nothing can be picked."""

    available = False

    def __init__(self, *, record_type: str, record_label: str, plural_label: str, reason: str):
        self.record_type, self.record_label, self.plural_label = record_type, record_label, plural_label
        self.unavailable_reason = reason

    def resolve(self, user, tokens: list) -> dict:
        return {}

    def search(self, user, query: str, *, limit: int = MAX_SEARCH_RESULTS) -> list[dict]:
        return []


CAPA_NOT_AVAILABLE = UnavailablePicker(
    record_type="capa",
    record_label="CAPA",
    plural_label="CAPAs",
    reason="CAPAs are not available yet: the CAPA module is not installed, so nothing can be linked here. "
    "Leave this field empty.",
)

_PICKERS: dict[str, Picker] = {}


def register_picker(field_type: str, picker: Picker) -> None:
    """Makes `picker` resolve the answers of `field_type` fields (replacing any earlier one)."""
    _PICKERS[field_type] = picker


def picker_for(field_type: str) -> Picker:
    return _PICKERS[field_type]


def register_default_pickers() -> None:
    _PICKERS.setdefault("document_picker", DocumentPicker())
    _PICKERS.setdefault("capa_picker", CAPA_NOT_AVAILABLE)
    # Not a form field type: links between deviations (deviations/links.py) resolve through it.
    _PICKERS.setdefault("deviation_picker", DeviationPicker())
