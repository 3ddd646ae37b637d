"""Audit trail and electronic signatures (21 CFR Part 11 core). Every module audits and signs through here;
this app imports only `qms` (and Django), never another app.

Auditing a change (inside the change's transaction)::

    from audit import services as audit
    from audit.changes import snapshot

    before = snapshot(document, FIELDS)
    ... change and save ...
    audit.record_change(obj=document, before=before, fields=FIELDS, actor=user, summary="...", reason=reason)
    # or: audit.record(action=DocumentAction.SUBMIT, resource_type="document", resource_id=document.pk,
    #                  summary="...", actor=user, old_values={...}, new_values={...}, reason=reason,
    #                  subject=None)   # the root record; found through audit.subjects when omitted

Actions: an enum per app in `<app>/audit_actions.py` subclassing `audit.actions.AuditAction`.
Subjects: `audit.subjects.register_subject("capa_action", CapaAction, parent="capa")`, or
`register_signable(..., subject=...)`. Demanding a reason: `audit.services.require_reason(reason)`
in the service (422 at body.reason), `audit.serializers.ReasonField()` in the request serializer.

Signing: `accounts.services.authenticate_signer(...)` + `audit.signatures.create_signature(...,
via_workflow=True)` in a workflow step, `audit.signatures.sign(...)` for a direct signature; register
signable models with `register_signable(...)` in AppConfig.ready(); other apps add checks every
direct signature passes with `register_signature_check(...)` (the workflow kit's approval checks). Pages reuse
`audit/includes/signature_dialog.html`, `audit.forms.SignatureForm` and
`audit/includes/signature_manifestation.html`; PDFs use `audit.exports.signature_manifestation_flowable`.

Integrity: triggers make audit events and signatures append-only and guard the chain head
(audit/immutability.py; other apps' evidence tables too: `audit.models.AppendOnlyModel` plus the
`AppendOnlyTriggers` migration operation); the chain is keyed (audit/keys.py) and appended at commit (audit/chain.py);
signed checkpoints outside the database (audit/checkpoints.py). `manage.py verify_audit_trail`,
`audit_checkpoint`, `export_audit_trail`, `setup_database_roles`; GET /api/audit/verify.
"""
