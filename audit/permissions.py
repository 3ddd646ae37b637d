"""Permission codenames of the audit trail and electronic signatures (collected by accounts.catalog)."""

PERMISSIONS: dict[str, str] = {
    "audit.view": "View the audit trail",
    "audit.export": "Export the audit trail (CSV, PDF)",
    "audit.verify": "Verify the integrity of the audit trail hash chain",
    "signatures.view": "View electronic signatures and their verification",
    "signatures.sign": "Apply electronic signatures",
}
