"""Request and response shapes of the workflow template API (shape only; rules live in services)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import SignatureType
from qms.api import limits

from .definition import rule_definition
from .models import ApprovalMode, RuleKind, StateKind, TransitionTrigger, WorkflowTemplate


class ApprovalRuleSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    role = serializers.CharField(required=False, allow_null=True, max_length=limits.CODE, help_text="Role name (kind=role)")
    required_approvals = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=1, help_text="kind=role")
    users = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
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
    states = StateSerializer(many=True, max_length=limits.LIST_ITEMS)
    transitions = TransitionSerializer(many=True, max_length=limits.LIST_ITEMS)
    reason = serializers.CharField(required=False, allow_blank=True, default="", write_only=True, max_length=limits.REASON)
    row_version = serializers.IntegerField(
        required=False, write_only=True, min_value=1, help_text="Optimistic concurrency check (PUT)"
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
        return [
            {
                "name": s.name,
                "label": s.label,
                "kind": s.kind,
                "is_initial": s.is_initial,
                "is_terminal": s.is_terminal,
                "approval_mode": s.approval_mode,
                "author_may_approve": s.author_may_approve,
                "approval_rules": [rule_definition(r) for r in s.approval_rules.all() if r.override_id is None],
            }
            for s in obj.states.all()
        ]

    @extend_schema_field(TransitionSerializer(many=True))
    def get_transitions(self, obj):
        return [
            {
                "name": t.name,
                "label": t.label,
                "from_state": t.from_state.name,
                "to_state": t.to_state.name,
                "trigger": t.trigger,
                "required_permission": t.required_permission,
                "requires_signature": t.requires_signature,
                "signature_type": t.signature_type,
                "requires_comment": t.requires_comment,
            }
            for t in obj.transitions.all()
        ]
