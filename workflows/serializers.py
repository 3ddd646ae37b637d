"""Request and response shapes of the workflow template API and of the controlled-record kit
(approve, transition, configure-approval requests; a record's workflow status, approvals,
signatures and history). Shape only; rules live in services."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from audit.models import SignatureType
from qms.api import limits

from .definition import state_definitions, transition_definitions
from .models import ApprovalMode, RuleKind, StateKind, TransitionTrigger, WorkflowTemplate


class ApprovalRuleSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    role = serializers.CharField(required=False, allow_null=True, max_length=limits.CODE, help_text="Role name (kind=role)")
    required_approvals = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=1, help_text="kind=role")
    users = serializers.ListField(
        child=serializers.IntegerField(max_value=limits.MAX_INT, min_value=1),
        required=False,
        max_length=limits.LIST_ITEMS,
        help_text="User ids (kind=users)",
    )


class StateSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=50)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=StateKind.choices)
    is_initial = serializers.BooleanField(required=False, default=False)
    is_terminal = serializers.BooleanField(required=False, default=False)
    approval_mode = serializers.ChoiceField(choices=ApprovalMode.choices, required=False, default=ApprovalMode.ALL)
    author_may_approve = serializers.BooleanField(required=False, default=False)
    approval_rules = ApprovalRuleSerializer(many=True, required=False, default=list, max_length=limits.LIST_ITEMS)


class TransitionSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=50)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)
    from_state = serializers.CharField(max_length=50)
    to_state = serializers.CharField(max_length=50)
    trigger = serializers.ChoiceField(choices=TransitionTrigger.choices, required=False, default=TransitionTrigger.MANUAL)
    required_permission = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    requires_signature = serializers.BooleanField(required=False, default=False)
    signature_type = serializers.ChoiceField(choices=SignatureType.choices, required=False, default=SignatureType.APPROVAL)
    requires_comment = serializers.BooleanField(required=False, default=False)


class WorkflowTemplateWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.DESCRIPTION)
    approve_permission = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Permission codename approvers need on records using this workflow (blank: the record type's default)",
    )
    states = StateSerializer(many=True, max_length=limits.LIST_ITEMS)
    transitions = TransitionSerializer(many=True, max_length=limits.LIST_ITEMS)
    reason = serializers.CharField(required=False, allow_blank=True, default="", write_only=True, max_length=limits.REASON)
    row_version = serializers.IntegerField(
        required=False, write_only=True, min_value=1, max_value=limits.MAX_INT, help_text="Optimistic concurrency check (PUT)"
    )


class WorkflowTemplateSerializer(serializers.ModelSerializer):
    states = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField()
    previous_version = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = WorkflowTemplate
        fields = [
            "id",
            "name",
            "description",
            "approve_permission",
            "version",
            "is_current",
            "previous_version",
            "states",
            "transitions",
            "created_by",
            "created_at",
            "updated_at",
            "row_version",
        ]
        read_only_fields = fields

    @extend_schema_field(StateSerializer(many=True))
    def get_states(self, obj):
        return state_definitions(obj)

    @extend_schema_field(TransitionSerializer(many=True))
    def get_transitions(self, obj):
        return transition_definitions(obj)


# --- the controlled-record kit: requests -----------------------------------------------------------------


class ApproveSerializer(serializers.Serializer):
    password = serializers.CharField(
        trim_whitespace=False,
        max_length=limits.PASSWORD,
        style={"input_type": "password"},
        help_text="Your password: approving applies your electronic signature",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.COMMENT)
    intent = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limits.REASON,
        help_text="Statement of intent; defaults to the approval meaning",
    )


class TransitionRequestSerializer(serializers.Serializer):
    transition = serializers.CharField(max_length=50, help_text="Name from available_transitions")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.COMMENT)
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        default="",
        max_length=limits.PASSWORD,
        help_text="Required when the transition requires a signature",
    )
    intent = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.REASON)


class ConfigureApprovalSerializer(serializers.Serializer):
    state = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=limits.CODE,
        help_text="Approval state to configure (default: the workflow's first approval state)",
    )
    approval_mode = serializers.ChoiceField(choices=ApprovalMode.choices, required=False, default=ApprovalMode.ALL)
    author_may_approve = serializers.BooleanField(required=False, default=False)
    rules = ApprovalRuleSerializer(many=True, required=False, default=list, max_length=limits.LIST_ITEMS)
    reset = serializers.BooleanField(required=False, default=False, help_text="Go back to the template's rules")
    reason = serializers.CharField(max_length=limits.REASON, help_text="Why the approvers change (audit trail)")


# --- the controlled-record kit: a record's workflow ----------------------------------------------------------


class UserRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "full_name"]
        read_only_fields = fields


class TransitionOptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    to_state = serializers.CharField()
    requires_signature = serializers.BooleanField()
    label = serializers.CharField()
    requires_comment = serializers.BooleanField()


class RuleProgressSerializer(serializers.Serializer):
    kind = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    required_approvals = serializers.IntegerField()
    users = serializers.ListField(child=serializers.IntegerField())
    approvals = serializers.IntegerField(help_text="Approvals counted toward this rule in the current review")
    satisfied = serializers.BooleanField()


class ApprovalStatusSerializer(serializers.Serializer):
    state = serializers.CharField()
    approval_mode = serializers.CharField()
    author_may_approve = serializers.BooleanField()
    overridden = serializers.BooleanField(help_text="True when this record has its own rules (configure-approval)")
    satisfied = serializers.BooleanField()
    rules = RuleProgressSerializer(many=True)


class StateRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()


class WorkflowTemplateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()


class HistoryEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    workflow_instance = serializers.IntegerField()
    version = serializers.CharField(
        allow_null=True, help_text="The record version this workflow cycle is about (documents), else null"
    )
    action = serializers.CharField()
    transition = serializers.CharField(allow_blank=True)
    from_state = serializers.CharField(allow_blank=True)
    to_state = serializers.CharField(allow_blank=True)
    actor = UserRefSerializer(allow_null=True)
    actor_name = serializers.CharField(allow_blank=True)
    comment = serializers.CharField(allow_blank=True)
    signature_id = serializers.IntegerField(allow_null=True)
    is_automatic = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WorkflowStatusSerializer(serializers.Serializer):
    instance_id = serializers.IntegerField()
    template = WorkflowTemplateRefSerializer()
    state = StateRefSerializer()
    started_at = serializers.DateTimeField()
    approval = ApprovalStatusSerializer(allow_null=True)
    history = HistoryEntrySerializer(many=True)


class ApprovalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    approver = UserRefSerializer()
    approver_name = serializers.CharField()
    approver_role = serializers.CharField(allow_blank=True)
    state = serializers.CharField()
    version = serializers.CharField(allow_null=True)
    rule = serializers.CharField(allow_blank=True)
    comment = serializers.CharField(allow_blank=True)
    signature_id = serializers.IntegerField(allow_null=True)
    current = serializers.BooleanField(help_text="Counts toward the review now in progress")
    created_at = serializers.DateTimeField()


class RecordSignatureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    signer = UserRefSerializer()
    printed_name = serializers.CharField()
    signed_at = serializers.DateTimeField()
    signature_type = serializers.CharField()
    meaning = serializers.CharField()
    intent = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    resource_type = serializers.CharField()
    resource_id = serializers.IntegerField()
    version = serializers.CharField(allow_null=True)
    content_hash = serializers.CharField()
    valid = serializers.BooleanField(help_text="The signed content still matches the record (nothing signed changed)")


def _transition_options(transitions) -> list[dict]:
    return [
        {
            "name": t.name,
            "to_state": t.to_state,
            "requires_signature": t.requires_signature,
            "label": t.label,
            "requires_comment": t.requires_comment,
        }
        for t in transitions
    ]


class RecordWorkflowFields(serializers.Serializer):
    """The workflow fields of a record's detail serializer: `workflow`, `available_transitions`,
    `approvals`, `signatures`, read from context["workflow"] (workflows.selectors.record_workflow).
    Inherit it and list the fields in Meta.fields; the serializer's context gives the workflow:
    `DeviationDetailSerializer(deviation, context={"workflow": record_workflow(deviation, user)})`."""

    workflow = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()
    approvals = serializers.SerializerMethodField()
    signatures = serializers.SerializerMethodField()

    def _record_workflow(self):
        return self.context["workflow"] if "workflow" in self.context else self.instance

    @extend_schema_field(WorkflowStatusSerializer(allow_null=True))
    def get_workflow(self, obj):
        workflow = self._record_workflow().workflow
        return WorkflowStatusSerializer(workflow).data if workflow is not None else None

    @extend_schema_field(TransitionOptionSerializer(many=True))
    def get_available_transitions(self, obj):
        return _transition_options(self._record_workflow().available_transitions)

    @extend_schema_field(ApprovalSerializer(many=True))
    def get_approvals(self, obj):
        return ApprovalSerializer(self._record_workflow().approvals, many=True).data

    @extend_schema_field(RecordSignatureSerializer(many=True))
    def get_signatures(self, obj):
        return RecordSignatureSerializer(self._record_workflow().signatures, many=True).data


class RecordWorkflowSerializer(RecordWorkflowFields):
    """A record's workflow (GET /api/<records>/{id}/workflow): state and approval progress with the
    history of every cycle, the transitions the caller may perform, approvals and signatures.
    Serializes a workflows.selectors.RecordWorkflow."""
