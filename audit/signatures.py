"""Electronic signatures (21 CFR Part 11 §11.50, §11.70, §11.100, §11.200).

Signing a record is two steps:

    signatures.authenticate_signer(user=user, password=password)    # OUTSIDE any transaction
    with transaction.atomic():
        ... lock and change the record ...
        signature = signatures.create_signature(signer=user, record=version,
                                                signature_type="approval", intent="I approve ...")

or `signatures.sign(...)` for both at once. A record can be signed when its model is registered:

    class DocumentsConfig(AppConfig):
        def ready(self):
            from audit.signatures import register_signable
            register_signable("document", Document)

and defines `signature_content()` returning the JSON-safe content that the signature covers
(for a document version: number, version, title, metadata, the file's sha256). A model may also
define `check_can_sign(user, signature_type)` raising a DomainError to refuse a signer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from qms import request_context
from qms.errors import AuthenticationFailed, InvalidInput, NotFound, PermissionDenied
from qms.events import emit

from . import services
from .canonical import canonical_json, json_safe, sha256_hex
from .events import SignatureEvent
from .models import Signature, SignatureType

__all__ = [
    "Signature",
    "SignatureAuthFailed",
    "SignatureType",
    "authenticate_signer",
    "content_hash_of",
    "create_signature",
    "get_signable",
    "register_signable",
    "registered_types",
    "resource_type_for",
    "sign",
    "verify",
]


class SignatureAuthFailed(AuthenticationFailed):
    error_code = "SIGNATURE_AUTH_FAILED"
    default_detail = "Signature not applied: the password is incorrect."


# --- registry of signable record types --------------------------------------------------------


@dataclass(frozen=True)
class Signable:
    resource_type: str
    model: type
    content: Callable | None = None
    view_permission: str | None = None
    label: str = ""

    def content_of(self, record) -> dict:
        if self.content is not None:
            return self.content(record)
        return record.signature_content()


_REGISTRY: dict[str, Signable] = {}


def register_signable(
    resource_type: str, model, *, content: Callable | None = None, view_permission: str | None = None, label: str = ""
) -> None:
    """Makes `model` signable as `resource_type`. `content(record)` overrides `record.signature_content()`;
    `view_permission` is the codename a signer needs to see (and therefore sign) such a record."""
    if content is None and not callable(getattr(model, "signature_content", None)):
        raise TypeError(f"{model.__name__} needs a signature_content() method (or pass content=...).")
    existing = _REGISTRY.get(resource_type)
    if existing is not None and existing.model is not model:
        raise ValueError(f"Signable type {resource_type!r} is already registered for {existing.model.__name__}.")
    _REGISTRY[resource_type] = Signable(
        resource_type, model, content, view_permission, label or model._meta.verbose_name.capitalize()
    )


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


def content_hash_of(content: dict) -> str:
    return sha256_hex(canonical_json(content))


# --- signing ------------------------------------------------------------------------------------


def authenticate_signer(*, user, password: str) -> None:
    """Re-authenticates the signer with their password (§11.200). Call it OUTSIDE any atomic block.

    A wrong password counts toward lockout and is audited; that is committed before
    SignatureAuthFailed (401) is raised. Locked and deactivated accounts cannot sign.
    """
    from accounts.models import User
    from accounts.services import register_failed_attempt

    error = None
    with transaction.atomic():
        signer = User.objects.select_for_update().get(pk=user.pk)
        now = timezone.now()
        if not signer.is_active:
            error = SignatureAuthFailed("Signature not applied: the account is deactivated.")
            services.record(
                action="signature_failed",
                resource_type="user",
                resource_id=signer.pk,
                actor=signer,
                summary=f"Signature attempt by deactivated account {signer.username}",
            )
        elif signer.is_locked(now):
            error = SignatureAuthFailed(
                "Signature not applied: the account is locked after too many failed attempts.",
                extra={"locked_until": signer.locked_until.isoformat().replace("+00:00", "Z")},
            )
            services.record(
                action="signature_failed",
                resource_type="user",
                resource_id=signer.pk,
                actor=signer,
                summary=f"Signature attempt on locked account {signer.username}",
            )
        elif not signer.check_password(password or ""):
            register_failed_attempt(user=signer, now=now, what="signature")
            if signer.is_locked(now):
                error = SignatureAuthFailed(
                    "Signature not applied: the password is incorrect and the account is now locked.",
                    extra={"locked_until": signer.locked_until.isoformat().replace("+00:00", "Z")},
                )
            else:
                error = SignatureAuthFailed()
        elif signer.failed_login_count:
            signer.failed_login_count = 0
            signer.save(update_fields=["failed_login_count"])
    if error is not None:
        raise error


def create_signature(
    *, signer, record, signature_type: str, intent: str, reason: str = "", resource_type: str | None = None
) -> Signature:
    """Applies the signature inside the caller's transaction (after authenticate_signer) and audits it.

    `resource_type` is needed only when the record's model is registered under several types."""
    if signature_type not in SignatureType.values:
        raise InvalidInput(
            f"Unknown signature type {signature_type!r}. Choose one of: {', '.join(SignatureType.values)}.",
            field="signature_type",
        )
    intent = (intent or "").strip()
    if not intent:
        raise InvalidInput("State the meaning of the signature (intent).", field="intent")
    if not signer.is_active:
        raise SignatureAuthFailed("Signature not applied: the account is deactivated.")
    resource_type = resource_type or resource_type_for(record)
    signable = _signable(resource_type)
    if not isinstance(record, signable.model):
        raise InvalidInput(f"The record is not a {signable.label.lower()}.", field="resource_type", error_code="NOT_SIGNABLE")
    if signable.view_permission and not signer.has_qms_permission(signable.view_permission):
        raise PermissionDenied(f"You need the '{signable.view_permission}' permission to sign this record.")
    check = getattr(record, "check_can_sign", None)
    if callable(check):
        check(signer, signature_type)
    content = content_of(record, resource_type)
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
            signed_content=content,
            content_hash=content_hash_of(content),
            ip_address=ctx.ip_address or None,
            request_id=ctx.request_id[:128],
        )
        signature.signature_hash = signature.compute_signature_hash()
        signature.save()
        services.record(
            action="sign",
            resource_type=resource_type,
            resource_id=record.pk,
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


def sign(
    *, signer, password: str, record, signature_type: str, intent: str, reason: str = "", resource_type: str | None = None
) -> Signature:
    """Re-authenticates, then signs in one transaction. Call it outside any atomic block."""
    authenticate_signer(user=signer, password=password)
    with transaction.atomic():
        # Sign the record as committed now, and keep it from changing until the signature is stored.
        record = type(record)._default_manager.select_for_update().get(pk=record.pk)
        return create_signature(
            signer=signer, record=record, signature_type=signature_type, intent=intent, reason=reason, resource_type=resource_type
        )


# --- verification ---------------------------------------------------------------------------------


def verify(signature: Signature) -> dict:
    """Recomputes both hashes: the record's current content, and the signature's own binding."""
    signature_hash_matches = signature.compute_signature_hash() == signature.signature_hash
    try:
        record = get_signable(signature.resource_type, signature.resource_id)
        content_hash_matches = content_hash_of(content_of(record, signature.resource_type)) == signature.content_hash
    except (NotFound, InvalidInput):
        content_hash_matches = False
    return {
        "valid": signature_hash_matches and content_hash_matches,
        "content_hash_matches": content_hash_matches,
        "signature_hash_matches": signature_hash_matches,
        "checked_at": timezone.now(),
    }
