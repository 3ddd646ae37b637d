"""Request and response shapes for the audit trail and signature APIs (shape only)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from qms.api import limits

from .models import AuditEvent, Signature, SignatureType


class ReasonField(serializers.CharField):
    """The reason for a GMP change. Required by default: a missing or blank reason is a 422 at
    loc ["body", "reason"] with type value_error.required / value_error.blank.

        class DocumentUpdateSerializer(serializers.Serializer):
            title = serializers.CharField()
            reason = ReasonField()
    """

    def __init__(self, *, required: bool = True, **kwargs):
        kwargs.setdefault("max_length", limits.REASON)
        help_text = "Why the change is made (recorded in the audit trail)." + (" Required." if required else "")
        kwargs.setdefault("help_text", help_text)
        if not required:
            kwargs.setdefault("allow_blank", True)
            kwargs.setdefault("default", "")
        super().__init__(required=required, **kwargs)


class ReasonSerializer(serializers.Serializer):
    """A body holding only a required reason (for actions such as delete or obsolete)."""

    reason = ReasonField()


class AuditEventSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(source="actor_id", allow_null=True, help_text="The acting user (null: the system)")
    username = serializers.CharField(source="actor_username", help_text="Username at the time of the event")
    user_full_name = serializers.CharField(source="actor_full_name", help_text="Printed name at the time of the event")
    old_values = serializers.JSONField(allow_null=True)
    new_values = serializers.JSONField(allow_null=True)
    context = serializers.JSONField(
        allow_null=True, help_text="Where the change came from beyond the request, e.g. {import_run, row, source}"
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "sequence",
            "timestamp",
            "user_id",
            "username",
            "user_full_name",
            "action",
            "resource_type",
            "resource_id",
            "subject_type",
            "subject_id",
            "summary",
            "old_values",
            "new_values",
            "reason",
            "ip_address",
            "request_id",
            "user_agent",
            "previous_hash",
            "hash",
            "hash_version",
            "key_id",
            "context",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "subject_type": {"help_text": "The root record the event belongs to (e.g. the document of a version)"},
            "hash_version": {"help_text": "1: SHA-256 (events before the chain was keyed); 2: HMAC-SHA256 with the audit key"},
        }


class CheckpointSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    sequence = serializers.IntegerField(help_text="Events in the chain when the checkpoint was taken")
    head_hash = serializers.CharField(help_text="Hash of the event at that sequence")
    created_at = serializers.CharField(help_text="ISO 8601, UTC")
    key_id = serializers.CharField(help_text="Fingerprint of the audit key that signed it")
    previous_signature = serializers.CharField(help_text="Signature of the checkpoint before it")
    signature = serializers.CharField(help_text="HMAC-SHA256 over the other fields")


class ChainVerificationSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    events = serializers.IntegerField(help_text="Events checked (the whole chain when valid)")
    first_broken_event = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of the first event that fails (null: the chain's end)"
    )
    first_broken_sequence = serializers.IntegerField(required=False, allow_null=True)
    problem = serializers.CharField(required=False)
    problems = serializers.ListField(child=serializers.CharField(), required=False, help_text="Every problem found")
    checkpoint = CheckpointSerializer(
        allow_null=True, help_text="The latest checkpoint outside the database (null: none written yet)"
    )
    checked_at = serializers.DateTimeField()


class VerificationSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    content_hash_matches = serializers.BooleanField(help_text="The record is unchanged since it was signed")
    signature_hash_matches = serializers.BooleanField(help_text="Signer, time, meaning and record are as signed")
    recorded_in_audit_trail = serializers.BooleanField(
        help_text="The signature's `sign` event in the keyed audit chain names the same hashes"
    )
    checked_at = serializers.DateTimeField()


class SignatureCreateSerializer(serializers.Serializer):
    document_id = serializers.IntegerField(
        min_value=1, max_value=limits.MAX_INT, required=False, help_text="Shorthand for resource_type=document"
    )
    resource_type = serializers.CharField(
        required=False, max_length=50, help_text="A signable record type, e.g. document, group, role"
    )
    resource_id = serializers.IntegerField(min_value=1, max_value=limits.MAX_INT, required=False)
    signature_type = serializers.ChoiceField(choices=SignatureType.choices)
    intent = serializers.CharField(max_length=limits.REASON, help_text="The meaning of the signature in words")
    password = serializers.CharField(
        trim_whitespace=False,
        write_only=True,
        max_length=limits.PASSWORD,
        style={"input_type": "password"},
        help_text="The signer's password: every signature re-authenticates (21 CFR 11.200)",
    )
    reason = ReasonField(required=False)

    def validate(self, attrs):
        if attrs.get("document_id") is not None:
            if attrs.get("resource_type") not in (None, "document"):
                raise serializers.ValidationError({"document_id": ["Give either document_id or resource_type + resource_id."]})
            attrs["resource_type"], attrs["resource_id"] = "document", attrs.pop("document_id")
        else:
            missing = {
                f: ["This field is required (or give document_id)."]
                for f in ("resource_type", "resource_id")
                if attrs.get(f) in (None, "")
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class SignatureSerializer(serializers.ModelSerializer):
    printed_name = serializers.CharField(read_only=True, help_text="The signer's printed name (21 CFR 11.50)")
    meaning = serializers.CharField(read_only=True, help_text="The meaning of the signature type, e.g. Approval")
    manifestation = serializers.CharField(source="manifestation_text", read_only=True)
    document_id = serializers.SerializerMethodField()

    class Meta:
        model = Signature
        fields = [
            "id",
            "signer_id",
            "signer_username",
            "signer_full_name",
            "printed_name",
            "signed_at",
            "signature_type",
            "meaning",
            "intent",
            "reason",
            "resource_type",
            "resource_id",
            "subject_type",
            "subject_id",
            "document_id",
            "content_hash",
            "signature_hash",
            "ip_address",
            "request_id",
            "manifestation",
        ]
        read_only_fields = fields

    def get_document_id(self, obj) -> int | None:
        """The document the signed record belongs to (the document itself or one of its versions)."""
        return obj.subject_id if obj.subject_type == "document" else None


class SignatureDetailSerializer(SignatureSerializer):
    verification = serializers.SerializerMethodField()
    signed_content = serializers.JSONField(read_only=True, help_text="The canonical content that was signed")

    class Meta(SignatureSerializer.Meta):
        fields = SignatureSerializer.Meta.fields + ["signed_content", "verification"]
        read_only_fields = fields

    @extend_schema_field(VerificationSerializer)
    def get_verification(self, obj) -> dict:
        from .signatures import verify

        return VerificationSerializer(verify(obj)).data
