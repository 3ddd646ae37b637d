"""Audit trail and electronic signatures (21 CFR Part 11 core). Every module audits and signs through here.

Auditing a change (inside the change's transaction)::

    from audit import services as audit
    from audit.changes import snapshot

    before = snapshot(document, FIELDS)
    ... change and save ...
    audit.record_change(obj=document, before=before, fields=FIELDS, actor=user, summary="...", reason=reason)
    # or: audit.record(action="transition", resource_type="document", resource_id=document.pk,
    #                  summary="...", actor=user, old_values={...}, new_values={...}, reason=reason)

Demanding a reason: `audit.services.require_reason(reason)` in the service (422 at body.reason),
`audit.serializers.ReasonField()` in the request serializer.

Signing: `audit.signatures.sign(...)` / `authenticate_signer(...)` + `create_signature(...)`; register
signable models with `audit.signatures.register_signable("document", DocumentVersion)` in
AppConfig.ready(). Pages reuse `audit/includes/signature_dialog.html`, `audit.forms.SignatureForm`
and `audit/includes/signature_manifestation.html`; PDFs use
`audit.exports.signature_manifestation_flowable`.

Integrity: triggers make audit events and signatures append-only (audit/immutability.py); the hash
chain is checked by `manage.py verify_audit_trail` and GET /api/audit/verify.
"""
