"""The subject of an audit event or signature: the root record it belongs to.

"The audit trail of SOP-0001" is every event and signature whose subject is that document: its
own events, its versions' events and signatures, its workflow's approvals. A record type that
belongs to another one registers how to find its parent:

    register_subject("document_version", DocumentVersion, parent="document")   # a foreign key
    register_subject("capa_action", CapaAction, parent=lambda action: action.capa)  # or a callable

`audit.signatures.register_signable(..., subject=...)` registers the same rule for a signable type.
Unregistered types are their own subject. Parents are followed up to the root (a record whose
type has no parent). Registering a type without a parent only names its model (so that a model
instance given as a subject gets the right type name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .changes import resource_type_of

MAX_DEPTH = 5


@dataclass(frozen=True)
class SubjectRule:
    resource_type: str
    model: type
    parent: str | Callable | None = None

    @property
    def parent_field(self) -> str | None:
        return self.parent if isinstance(self.parent, str) else None

    def parent_of(self, record):
        """The parent record (or a (type, id) pair), or None when the record is a root."""
        if self.parent is None:
            return None
        if callable(self.parent):
            return self.parent(record)
        field = self.model._meta.get_field(self.parent)
        parent_id = getattr(record, field.attname)
        if parent_id is None:
            return None
        return (type_name_of_model(field.related_model), parent_id)

    def parent_of_id(self, resource_id: int):
        """The parent of the record with this id (one query), or None."""
        if self.parent is None:
            return None
        if self.parent_field:
            field = self.model._meta.get_field(self.parent_field)
            parent_id = self.model._default_manager.filter(pk=resource_id).values_list(field.attname, flat=True).first()
            return None if parent_id is None else (type_name_of_model(field.related_model), parent_id)
        record = self.model._default_manager.filter(pk=resource_id).first()
        return None if record is None else self.parent(record)


_RULES: dict[str, SubjectRule] = {}


def register_subject(resource_type: str, model, *, parent: str | Callable | None = None) -> None:
    """Declares that records of `resource_type` (instances of `model`) belong to their `parent`:
    the name of a foreign key on the model, or a callable returning the parent record or a
    (type, id) pair. Without a parent the type is a root that only names its model."""
    if isinstance(parent, str):
        field = model._meta.get_field(parent)
        if not field.is_relation or not field.many_to_one:
            raise TypeError(f"{model.__name__}.{parent} must be a foreign key to be a subject parent.")
    existing = _RULES.get(resource_type)
    if existing is not None and existing.parent is not None and parent is None:
        return  # keep the parent declared earlier
    _RULES[resource_type] = SubjectRule(resource_type, model, parent)


def rules() -> dict[str, SubjectRule]:
    return dict(_RULES)


def type_name_of_model(model) -> str:
    for resource_type, rule in _RULES.items():
        if issubclass(model, rule.model):
            return resource_type
    return getattr(model, "audit_resource_type", None) or model._meta.model_name


def type_name_of(record) -> str:
    for resource_type, rule in _RULES.items():
        if isinstance(record, rule.model):
            return resource_type
    return resource_type_of(record)


def _as_pair(subject) -> tuple[str, int | None, object]:
    """(type, id, record or None) for a model instance or a (type, id) pair."""
    if isinstance(subject, tuple):
        subject_type, subject_id = subject
        return str(subject_type), (int(subject_id) if subject_id not in (None, "") else None), None
    return type_name_of(subject), subject.pk, subject


def resolve(resource_type: str, resource_id: int | None, *, record=None, subject=None) -> tuple[str, int | None]:
    """The root record (type, id) of an event or signature about (resource_type, resource_id).

    `subject` (a record or a (type, id) pair) is taken as given and followed to its own root;
    otherwise the parents registered for `resource_type` are followed from `record` (no query)
    or from the id (one query per level)."""
    if subject is not None:
        current_type, current_id, current = _as_pair(subject)
    else:
        current_type, current_id, current = resource_type, resource_id, record
    for _ in range(MAX_DEPTH):
        rule = _RULES.get(current_type)
        if rule is None or rule.parent is None or current_id is None:
            break
        parent = rule.parent_of(current) if current is not None else rule.parent_of_id(current_id)
        if parent is None:
            break
        current_type, current_id, current = _as_pair(parent)
    return current_type[:50], current_id
