"""Electronic signatures (21 CFR Part 11 §11.50, §11.70, §11.100, §11.200).

A use case that signs (a workflow approval, a signed transition, a training completion)
re-authenticates the signer OUTSIDE any transaction, then signs inside its own:

    from accounts.services import authenticate_signer

    authenticate_signer(user=user, password=password)    # wrong password: counted, audited, 401
    with transaction.atomic():
        ... lock and change the record ...
        signature = signatures.create_signature(signer=user, record=version, signature_type="approval",
                                                intent="I approve ...", via_workflow=True)

`sign(...)` does both for a direct signature (POST /api/signatures/, the record page); it finds
the authenticator through settings.AUDIT_SIGNER_AUTHENTICATOR, so this app imports no other app.

A record type is signable once registered (in its AppConfig.ready()):

    register_signable(
        "document_version", DocumentVersion,
        view_permission="documents.view",         # needed to see (and so sign) such records
        can_view=lambda user, version: ...,        # finer: may this user view this record?
        visible_filter=lambda user: Q(...),        # lists: which of its signatures the user may see
        direct_meanings=lambda version: {"review"},  # meanings allowed directly in its current state
        subject="document",                        # the root record (audit.subjects)
    )

and defines `signature_content()` (or passes `content=`) returning the JSON-safe content the
signature covers. Rules every signature obeys:

- only someone who may view the record signs it (403 RECORD_NOT_VISIBLE);
- approval meanings are never applied directly, only by the workflow's approve
  (`create_signature(..., via_workflow=True)`); other meanings directly only when the record
  type allows them in the record's current state (409 SIGNATURE_MEANING_NOT_ALLOWED);
- a model may also define `check_can_sign(user, signature_type)` raising a DomainError;
- other apps add checks every direct signature passes (`register_signature_check`), e.g. the workflow
  kit runs a controlled record's approval checks (the training gate: 403 TRAINING_REQUIRED), so a
  direct signature cannot get past what an approval in the workflow would have to pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from qms import request_context
from qms.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied
from qms.events import emit

from . import services, subjects
from .actions import AuditTrailAction
from .canonical import canonical_json, json_safe, sha256_hex
from .events import SignatureEvent
from .models import AuditEvent, Signature, SignatureType

__all__ = [
    "WORKFLOW_ONLY_MEANINGS",
    "Signature",
    "SignatureAuthFailed",
    "SignatureMeaningNotAllowed",
    "SignatureType",
    "content_hash_of",
    "create_signature",
    "get_signable",
    "register_signable",
    "register_signature_check",
    "registered_types",
    "resource_type_for",
    "sign",
    "unregister_signature_check",
    "verify",
]

# Meanings that only a workflow's approve applies (never POST /api/signatures/ or the record page).
WORKFLOW_ONLY_MEANINGS = frozenset({SignatureType.APPROVAL.value})
# Meanings a record type allows directly unless it declares its own: the generic ones. Training
# completion and effectiveness belong to their modules' use cases (or their own declarations).
DEFAULT_DIRECT_MEANINGS = frozenset(
    {SignatureType.REVIEW.value, SignatureType.AUTHORSHIP.value, SignatureType.RESPONSIBILITY.value}
)


class SignatureAuthFailed(AuthenticationFailed):
    error_code = "SIGNATURE_AUTH_FAILED"
    default_detail = "Signature not applied: the password is incorrect."


class SignatureMeaningNotAllowed(Conflict):
    error_code = "SIGNATURE_MEANING_NOT_ALLOWED"


class RecordNotVisible(PermissionDenied):
    error_code = "RECORD_NOT_VISIBLE"


# --- registry of signable record types --------------------------------------------------------


@dataclass(frozen=True)
class Signable:
    resource_type: str
    model: type
    content: Callable | None = None
    view_permission: str | None = None
    label: str = ""
    can_view: Callable | None = None
    visible_ids: Callable | None = None
    visible_filter: Callable | None = None
    direct_meanings: Callable | Iterable | None = None

    def content_of(self, record) -> dict:
        if self.content is not None:
            return self.content(record)
        return record.signature_content()

    def user_can_view(self, user, record) -> bool:
        if self.view_permission and not user.has_qms_permission(self.view_permission):
            return False
        return bool(self.can_view(user, record)) if self.can_view is not None else True

    def visible_condition(self, user) -> Q | None:
        """A filter on Signature rows of this type that `user` may see (Q() for all), or None for none."""
        if self.view_permission and not user.has_qms_permission(self.view_permission):
            return None
        if self.visible_filter is not None:
            condition = self.visible_filter(user)
            return Q() if condition is None else condition
        if self.visible_ids is not None:
            ids = self.visible_ids(user)
            return Q() if ids is None or _every_row(ids, self.model) else Q(resource_id__in=ids)
        return Q()

    def allowed_meanings(self, record) -> set[str]:
        """Meanings that may be applied to `record` directly, in its current state."""
        if self.direct_meanings is None:
            meanings = set(DEFAULT_DIRECT_MEANINGS)
        elif callable(self.direct_meanings):
            meanings = {str(m) for m in self.direct_meanings(record)}
        else:
            meanings = {str(m) for m in self.direct_meanings}
        return meanings - WORKFLOW_ONLY_MEANINGS


def _every_row(ids, model) -> bool:
    """Whether `ids` is an unfiltered queryset of the whole table (a user who sees every record):
    then no `resource_id IN (SELECT ...)` is needed."""
    if not isinstance(ids, QuerySet) or ids.model is not model:
        return False
    query = ids.query
    return not query.has_filters() and not query.is_sliced and not query.distinct and not query.combinator


_REGISTRY: dict[str, Signable] = {}


def register_signable(
    resource_type: str,
    model,
    *,
    content: Callable | None = None,
    view_permission: str | None = None,
    label: str = "",
    can_view: Callable | None = None,
    visible_ids: Callable | None = None,
    visible_filter: Callable | None = None,
    direct_meanings: Callable | Iterable | None = None,
    subject: str | Callable | None = None,
) -> None:
    """Makes `model` signable as `resource_type`.

    - `content(record)` overrides `record.signature_content()`;
    - `view_permission`: the codename a signer needs to see (and therefore sign) such records;
    - `can_view(user, record) -> bool`: whether this user may view this record (signing and details);
    - `visible_filter(user) -> Q | None` (a filter on audit Signature rows, None = all) or
      `visible_ids(user) -> ids | None` (record ids, a queryset of ids or None = all): which of
      this type's signatures the user may see in lists and details;
    - `direct_meanings(record) -> set[str]` (or a fixed set): the meanings that may be applied
      directly in the record's current state (default: review, authorship, responsibility);
      approval is never one of them;
    - `subject`: the foreign key (name) or callable giving the root record (audit.subjects).
    """
    if content is None and not callable(getattr(model, "signature_content", None)):
        raise TypeError(f"{model.__name__} needs a signature_content() method (or pass content=...).")
    existing = _REGISTRY.get(resource_type)
    if existing is not None and existing.model is not model:
        raise ValueError(f"Signable type {resource_type!r} is already registered for {existing.model.__name__}.")
    _REGISTRY[resource_type] = Signable(
        resource_type,
        model,
        content,
        view_permission,
        label or model._meta.verbose_name.capitalize(),
        can_view,
        visible_ids,
        visible_filter,
        direct_meanings,
    )
    subjects.register_subject(resource_type, model, parent=subject)


def registered_types() -> dict[str, Signable]:
    return dict(_REGISTRY)


def _signable(resource_type: str) -> Signable:
    try:
        return _REGISTRY[resource_type]
    except KeyError:
        choices = ", ".join(sorted(_REGISTRY)) or "none"
        raise InvalidInput(
            f"Records of type {resource_type!r} cannot be signed. Signable types: {choices}.",
            field="resource_type",
            error_code="NOT_SIGNABLE",
        )


def get_signable(resource_type: str, resource_id):
    """The registered record, or NotFound (404) / InvalidInput (422 for an unknown type)."""
    signable = _signable(resource_type)
    try:
        return signable.model._default_manager.get(pk=resource_id)
    except (signable.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"{signable.label} {resource_id} not found.")


def resource_type_for(record) -> str:
    for resource_type, signable in _REGISTRY.items():
        if isinstance(record, signable.model):
            return resource_type
    raise InvalidInput(f"{type(record).__name__} records cannot be signed.", field="resource_type", error_code="NOT_SIGNABLE")


def content_of(record, resource_type: str | None = None) -> dict:
    signable = _signable(resource_type or resource_type_for(record))
    return json_safe(signable.content_of(record))


def signed_objects(keys: list[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which of the (resource_type, resource_id) records carry at least one signature (one query)."""
    if not keys:
        return set()
    condition = Q()
    for resource_type, resource_id in keys:
        condition |= Q(resource_type=resource_type, resource_id=resource_id)
    return set(Signature.objects.filter(condition).values_list("resource_type", "resource_id").distinct())


def content_hash_of(content: dict) -> str:
    return sha256_hex(canonical_json(content))


def allowed_meanings(record, resource_type: str | None = None) -> list[str]:
    """The meanings `record` may be signed with directly now, in SignatureType order (pages, dialogs)."""
    allowed = _signable(resource_type or resource_type_for(record)).allowed_meanings(record)
    return [value for value in SignatureType.values if value in allowed]


def user_can_view(user, record, resource_type: str | None = None) -> bool:
    return _signable(resource_type or resource_type_for(record)).user_can_view(user, record)


# --- checks other apps add ------------------------------------------------------------------------

SignatureCheck = Callable[..., None]
_SIGNATURE_CHECKS: list[SignatureCheck] = []


def register_signature_check(check: SignatureCheck) -> None:
    """Adds a check that runs before every direct signature is applied (POST /api/signatures/, a
    record's page; not the signatures a workflow step applies, which run the step's own checks):
    `check(signer=, record=, resource_type=, signature_type=)` raising a qms.errors.DomainError to
    refuse. Registered from the other app's AppConfig.ready(); this app never imports it."""
    if check not in _SIGNATURE_CHECKS:
        _SIGNATURE_CHECKS.append(check)


def unregister_signature_check(check: SignatureCheck) -> None:
    if check in _SIGNATURE_CHECKS:
        _SIGNATURE_CHECKS.remove(check)


# --- signing ------------------------------------------------------------------------------------


def check_can_sign(*, signer, record, signature_type: str, resource_type: str | None = None, via_workflow: bool = False):
    """Raises what create_signature would for this signer, record and meaning (without signing):
    422 for an unknown meaning, 403 when the signer may not view the record, 409 for a meaning
    the record does not allow directly now, then what a registered signature check raises (direct
    signatures only). Returns the record's Signable."""
    if signature_type not in SignatureType.values:
        raise InvalidInput(
            f"Unknown signature type {signature_type!r}. Choose one of: {', '.join(SignatureType.values)}.",
            field="signature_type",
        )
    resource_type = resource_type or resource_type_for(record)
    signable = _signable(resource_type)
    if not isinstance(record, signable.model):
        raise InvalidInput(f"The record is not a {signable.label.lower()}.", field="resource_type", error_code="NOT_SIGNABLE")
    if signable.view_permission and not signer.has_qms_permission(signable.view_permission):
        raise PermissionDenied(f"You need the '{signable.view_permission}' permission to sign this record.")
    if not signable.user_can_view(signer, record):
        raise RecordNotVisible(f"You may not view this {signable.label.lower()}, so you cannot sign it.")
    if not via_workflow:
        meaning = SignatureType(signature_type).label
        if signature_type in WORKFLOW_ONLY_MEANINGS:
            raise SignatureMeaningNotAllowed(
                f"{meaning} signatures are applied only by approving the record in its workflow.",
                extra={"allowed_meanings": allowed_meanings(record, resource_type)},
            )
        allowed = allowed_meanings(record, resource_type)
        if signature_type not in allowed:
            raise SignatureMeaningNotAllowed(
                f"A {meaning.lower()} signature is not allowed on this {signable.label.lower()} in its current state"
                + (f"; allowed: {', '.join(allowed)}." if allowed else "; it cannot be signed directly now."),
                extra={"allowed_meanings": allowed},
            )
        for check in list(_SIGNATURE_CHECKS):
            check(signer=signer, record=record, resource_type=resource_type, signature_type=signature_type)
    return signable


def create_signature(
    *,
    signer,
    record,
    signature_type: str,
    intent: str,
    reason: str = "",
    resource_type: str | None = None,
    via_workflow: bool = False,
) -> Signature:
    """Applies the signature inside the caller's transaction (after the signer re-authenticated) and
    audits it. `via_workflow=True` only from a workflow use case (approve, signed transition), which
    has checked the signer's right to that step itself: it may apply approval meanings.

    `resource_type` is needed only when the record's model is registered under several types."""
    resource_type = resource_type or resource_type_for(record)
    signable = check_can_sign(
        signer=signer, record=record, signature_type=signature_type, resource_type=resource_type, via_workflow=via_workflow
    )
    intent = (intent or "").strip()
    if not intent:
        raise InvalidInput("State the meaning of the signature (intent).", field="intent")
    if not signer.is_active:
        raise SignatureAuthFailed("Signature not applied: the account is deactivated.")
    check = getattr(record, "check_can_sign", None)
    if callable(check):
        check(signer, signature_type)
    content = content_of(record, resource_type)
    subject_type, subject_id = subjects.resolve(resource_type, record.pk, record=record)
    ctx = request_context.get()
    with transaction.atomic():
        signature = Signature(
            signer=signer,
            signer_username=signer.username,
            signer_full_name=signer.full_name or signer.username,
            signed_at=timezone.now(),
            signature_type=signature_type,
            intent=intent,
            reason=(reason or "").strip(),
            resource_type=resource_type,
            resource_id=record.pk,
            subject_type=subject_type,
            subject_id=subject_id,
            signed_content=content,
            content_hash=content_hash_of(content),
            ip_address=ctx.ip_address or None,
            request_id=ctx.request_id[:128],
        )
        signature.signature_hash = signature.compute_signature_hash()
        signature.save()
        services.record(
            action=AuditTrailAction.SIGN,
            resource_type=resource_type,
            resource_id=record.pk,
            subject=(subject_type, subject_id),
            actor=signer,
            summary=f"{signature.printed_name} signed {signable.label.lower()} {record.pk} ({signature.meaning}): {intent}",
            new_values={
                "signature_id": signature.pk,
                "signature_type": signature_type,
                "intent": intent,
                "content_hash": signature.content_hash,
                "signature_hash": signature.signature_hash,
            },
            reason=signature.reason,
        )
        emit(SignatureEvent.CREATED, signature, actor=signer, data=_event_data(signature))
    return signature


def _event_data(signature: Signature) -> dict:
    return {
        "resource_type": signature.resource_type,
        "resource_id": signature.resource_id,
        "signature_type": signature.signature_type,
        "meaning": signature.meaning,
        "intent": signature.intent,
        "signed_at": signature.signed_at,
        "signer_full_name": signature.printed_name,
        "content_hash": signature.content_hash,
    }


def _authenticate(*, user, password: str) -> None:
    """Re-authenticates through the accounts app (settings.AUDIT_SIGNER_AUTHENTICATOR)."""
    import_string(settings.AUDIT_SIGNER_AUTHENTICATOR)(user=user, password=password)


def sign(
    *, signer, password: str, record, signature_type: str, intent: str, reason: str = "", resource_type: str | None = None
) -> Signature:
    """A direct signature (not a workflow step): checks the signer may view the record and the
    meaning is allowed, re-authenticates, then signs in one transaction. Call it outside any
    atomic block (a wrong password is counted and committed)."""
    if signer.is_active:  # a deactivated account is refused (and audited) by the re-authentication
        check_can_sign(signer=signer, record=record, signature_type=signature_type, resource_type=resource_type)
    _authenticate(user=signer, password=password)
    with transaction.atomic():
        # Sign the record as committed now, and keep it from changing until the signature is stored.
        record = type(record)._default_manager.select_for_update().get(pk=record.pk)
        return create_signature(
            signer=signer, record=record, signature_type=signature_type, intent=intent, reason=reason, resource_type=resource_type
        )


# --- verification ---------------------------------------------------------------------------------


def _recorded_in_trail(signature: Signature) -> bool:
    """The signature's own `sign` event in the keyed audit chain names the same hashes (a row
    inserted or rewritten behind the application's back has no such event)."""
    events = AuditEvent.objects.filter(
        action=AuditTrailAction.SIGN, resource_type=signature.resource_type, resource_id=signature.resource_id
    ).values_list("new_values", flat=True)
    return any(
        isinstance(values, dict)
        and values.get("signature_id") == signature.pk
        and values.get("signature_hash") == signature.signature_hash
        and values.get("content_hash") == signature.content_hash
        for values in events
    )


def verify(signature: Signature) -> dict:
    """Recomputes both hashes (the record's current content, the signature's own binding) and finds
    the signature's event in the audit trail."""
    signature_hash_matches = signature.compute_signature_hash() == signature.signature_hash
    try:
        record = get_signable(signature.resource_type, signature.resource_id)
        content_hash_matches = content_hash_of(content_of(record, signature.resource_type)) == signature.content_hash
    except (NotFound, InvalidInput):
        content_hash_matches = False
    recorded = _recorded_in_trail(signature)
    return {
        "valid": signature_hash_matches and content_hash_matches and recorded,
        "content_hash_matches": content_hash_matches,
        "signature_hash_matches": signature_hash_matches,
        "recorded_in_audit_trail": recorded,
        "checked_at": timezone.now(),
    }
