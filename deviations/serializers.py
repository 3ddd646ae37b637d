"""Request and response shapes of the deviation and deviation form APIs (shape only; rules live in
the services and deviations/definition.py), and the schema of stored answers
(deviations/forms_engine.py)."""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from accounts.models import User
from audit.serializers import ReasonField
from workflows.serializers import RecordWorkflowFields, UserRefSerializer

from . import limits
from .definition import SUGGESTERS
from .links import LINK_TYPES
from .models import (
    Area,
    Attachment,
    Category,
    Deviation,
    FieldType,
    FormStatus,
    FormTemplate,
    LinkSource,
    RootCauseMethod,
    Severity,
)
from .options import CurrentOptions
from .selectors import is_overdue

# --- form definitions ---------------------------------------------------------------------------------


class OptionSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=limits.OPTION_VALUE)
    label = serializers.CharField(
        max_length=limits.LABEL, required=False, allow_blank=True, help_text="Shown to the reporter (default: the value)"
    )


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
        "nullable": True,
        "description": "Pre-filled answer: text for text, textarea, select (an option value) and date (YYYY-MM-DD) "
        "fields, a number for number fields, true/false for checkboxes; none for pickers, image and file fields.",
    }
)
class DefaultValueField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "oneOf": [{"type": "number"}, {"type": "string"}],
        "nullable": True,
        "description": 'Number fields: a number. Date fields: a date (YYYY-MM-DD) or "today".',
    }
)
class BoundValueField(serializers.JSONField):
    pass


class FormFieldSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=limits.KEY, help_text="Lower-case identifier, unique in the form, e.g. occurred_at")
    label = serializers.CharField(max_length=limits.LABEL)
    type = serializers.ChoiceField(choices=FieldType.choices)
    help_text = serializers.CharField(max_length=limits.HELP_TEXT, required=False, allow_blank=True, default="")
    required = serializers.BooleanField(required=False, default=False, help_text="Checkbox: must be ticked")
    options = OptionSerializer(
        many=True,
        required=False,
        default=list,
        help_text="select fields only. With options_from: the source's current choices (ignored when sent back)",
    )
    options_from = serializers.CharField(
        max_length=limits.KEY,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="select fields: take the choices from a list kept in the admin instead of `options`: "
        "deviation_categories, deviation_areas",
    )
    default = DefaultValueField(required=False, allow_null=True, default=None)
    min = BoundValueField(required=False, allow_null=True, default=None, help_text="number and date fields")
    max = BoundValueField(required=False, allow_null=True, default=None, help_text="number and date fields")
    max_length = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text=f"text (≤ {limits.TEXT_ANSWER}, default {limits.DEFAULT_ANSWER_LENGTH['text']}) and textarea "
        f"(≤ {limits.TEXTAREA_ANSWER}, default {limits.DEFAULT_ANSWER_LENGTH['textarea']})",
    )
    regex = serializers.CharField(
        max_length=limits.REGEX,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="text and textarea: the whole answer must match this Python regular expression",
    )
    regex_message = serializers.CharField(
        max_length=limits.LABEL, required=False, allow_blank=True, default="", help_text="Shown when the pattern does not match"
    )
    multiple = serializers.BooleanField(required=False, default=False, help_text="Pickers, image and file fields: several values")
    suggest = serializers.ChoiceField(
        choices=[(name, spec["label"]) for name, spec in SUGGESTERS.items()],
        required=False,
        allow_null=True,
        default=None,
        help_text="Ask a suggester for this field's answer: severity (select fields)",
    )


class FormSectionSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=limits.KEY, help_text="Lower-case identifier, unique in the form, e.g. event")
    title = serializers.CharField(max_length=limits.LABEL)
    description = serializers.CharField(max_length=limits.HELP_TEXT, required=False, allow_blank=True, default="")
    fields = FormFieldSerializer(many=True, required=False, default=list)


class FormTemplateWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=limits.FORM_NAME)
    description = serializers.CharField(max_length=limits.FORM_DESCRIPTION, required=False, allow_blank=True, default="")
    sections = FormSectionSerializer(many=True)
    reason = ReasonField(required=False, write_only=True, help_text="Why the form changes (audit trail)")
    row_version = serializers.IntegerField(required=False, write_only=True, help_text="Optimistic concurrency check (PUT)")


class PublishSerializer(serializers.Serializer):
    reason = ReasonField(help_text="Why this version becomes the reporting form (audit trail). Required.")
    row_version = serializers.IntegerField(required=False, help_text="The row_version you read (or send If-Match)")


class FormTemplateSerializer(serializers.ModelSerializer):
    """context: {"usage": {version id: count}, "options": deviations.options.CurrentOptions()}."""

    sections = serializers.SerializerMethodField(help_text="Fields with options_from show the source's current choices")
    is_active = serializers.BooleanField(read_only=True)
    previous_version = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    usage_count = serializers.SerializerMethodField(help_text="Records reported with this version")
    in_use = serializers.SerializerMethodField(help_text="Referenced by records: never changed in place")
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    published_by = UserRefSerializer(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=FormStatus.choices, read_only=True)

    class Meta:
        model = FormTemplate
        fields = [
            "id",
            "family",
            "name",
            "description",
            "version",
            "status",
            "is_active",
            "previous_version",
            "sections",
            "usage_count",
            "in_use",
            "created_by",
            "created_at",
            "updated_at",
            "published_by",
            "published_at",
            "row_version",
        ]
        read_only_fields = fields

    @extend_schema_field(FormSectionSerializer(many=True))
    def get_sections(self, obj):
        current = self.context.get("options") or CurrentOptions()
        return FormSectionSerializer(current.sections(obj.sections), many=True).data

    def get_usage_count(self, obj) -> int:
        return self.context["usage"].get(obj.pk, 0)

    def get_in_use(self, obj) -> bool:
        return self.context["usage"].get(obj.pk, 0) > 0


# --- answers ------------------------------------------------------------------------------------------


def _answer_type(*types) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=[(t.value, t.label) for t in types], help_text="The field's type")


class TextAnswerSerializer(serializers.Serializer):
    type = _answer_type(FieldType.TEXT, FieldType.TEXTAREA, FieldType.SELECT, FieldType.DATE)
    value = serializers.CharField(
        allow_null=True, help_text="Text, the chosen option's value, or a date YYYY-MM-DD; null: no answer"
    )


class NumberAnswerSerializer(serializers.Serializer):
    type = _answer_type(FieldType.NUMBER)
    value = serializers.FloatField(allow_null=True, help_text="null: no answer")


class CheckboxAnswerSerializer(serializers.Serializer):
    type = _answer_type(FieldType.CHECKBOX)
    value = serializers.BooleanField()


class RecordReferenceSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Record type: document, capa")
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    version = serializers.CharField(allow_null=True, help_text="Documents: the version the reporter saw")


class ReferencesAnswerSerializer(serializers.Serializer):
    type = _answer_type(FieldType.DOCUMENT_PICKER, FieldType.CAPA_PICKER)
    value = RecordReferenceSerializer(many=True)


class StoredFileSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Safe file name")
    size = serializers.IntegerField(help_text="Bytes")
    mime_type = serializers.CharField(help_text="Judged from the content")
    sha256 = serializers.CharField()
    storage_name = serializers.CharField(allow_null=True, help_text="Where the file is stored (null until the record is saved)")


class FilesAnswerSerializer(serializers.Serializer):
    type = _answer_type(FieldType.IMAGE, FieldType.FILE)
    value = StoredFileSerializer(many=True)


FORM_ANSWER = PolymorphicProxySerializer(
    component_name="FormAnswer",
    serializers={
        FieldType.TEXT.value: TextAnswerSerializer,
        FieldType.TEXTAREA.value: TextAnswerSerializer,
        FieldType.SELECT.value: TextAnswerSerializer,
        FieldType.DATE.value: TextAnswerSerializer,
        FieldType.NUMBER.value: NumberAnswerSerializer,
        FieldType.CHECKBOX.value: CheckboxAnswerSerializer,
        FieldType.DOCUMENT_PICKER.value: ReferencesAnswerSerializer,
        FieldType.CAPA_PICKER.value: ReferencesAnswerSerializer,
        FieldType.IMAGE.value: FilesAnswerSerializer,
        FieldType.FILE.value: FilesAnswerSerializer,
    },
    resource_type_field_name="type",
)


@extend_schema_field(FORM_ANSWER)
class FormAnswerField(serializers.JSONField):
    pass


class FormAnswersField(serializers.DictField):
    """The answers of a form by section and field key: {"<section>": {"<field>": {"type", "value"}}}."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", 'Answers by section and field key: {"<section>": {"<field>": {"type", "value"}}}')
        super().__init__(child=serializers.DictField(child=FormAnswerField()), **kwargs)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "number"},
                    {"type": "boolean"},
                    {"type": "array", "items": {"oneOf": [{"type": "integer"}, {"type": "string"}]}},
                ],
                "nullable": True,
            },
        },
        "description": 'Answers by section and field key, e.g. {"event": {"title": "Torn seal", "occurred_at": '
        '"2025-03-01", "procedure": ["SOP-0001"]}, "classification": {"severity": "High"}}. Pickers take ids or '
        "numbers (a list, one value, or a comma-separated string). Image and file fields are uploaded as "
        "multipart parts named <section>.<field>. In a multipart request, send form_data as a JSON string.",
    }
)
class FormDataField(serializers.JSONField):
    pass


class AnswersCheckSerializer(serializers.Serializer):
    form_data = FormDataField()


class AnswersCheckResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    answers = FormAnswersField()


# --- deviations ---------------------------------------------------------------------------------------


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name"]
        read_only_fields = fields


class AreaRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "name", "site"]
        read_only_fields = fields


class FormVersionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FormTemplate
        fields = ["id", "name", "version"]
        read_only_fields = fields


class SeveritySuggestionSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    confidence = serializers.FloatField(min_value=0, max_value=1, required=False, allow_null=True, default=None)
    rationale = serializers.CharField(max_length=limits.REASON, required=False, allow_blank=True, default="")
    method = serializers.CharField(
        max_length=limits.SUGGESTION_METHOD,
        required=False,
        allow_blank=True,
        default="",
        help_text="How it was suggested, e.g. llm or similar_history",
    )


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "Id or exact name"})
class RecordByIdOrNameField(serializers.Field):
    """An active category or area given by id or name."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            raise serializers.ValidationError("Give an id or a name.")
        text = str(data).strip()
        found = (
            self.model.objects.filter(pk=int(text)).first() if text.isdigit() else self.model.objects.filter(name=text).first()
        )
        if found is None:
            raise serializers.ValidationError(f"No {self.model._meta.verbose_name} {text!r}.")
        return found

    def to_representation(self, value):
        return value.pk


class DeviationListSerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer(read_only=True)
    area = AreaRefSerializer(read_only=True)
    reported_by = UserRefSerializer(read_only=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)
    reported_at = serializers.DateTimeField(source="created_at", read_only=True)
    severity = serializers.ChoiceField(choices=Severity.choices, read_only=True)
    # A column of the list querysets (selectors.deviation_list: `overdue`), so rows are read flat.
    is_overdue = serializers.BooleanField(
        source="overdue", read_only=True, help_text="Past its due date and neither closed nor cancelled"
    )

    class Meta:
        model = Deviation
        fields = [
            "id",
            "number",
            "legacy_number",
            "title",
            "status",
            "severity",
            "category",
            "area",
            "product",
            "batch",
            "occurred_at",
            "reported_by",
            "reported_at",
            "owner",
            "due_date",
            "is_overdue",
            "closed_at",
            "row_version",
        ]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    field = serializers.CharField(
        allow_blank=True, help_text='"<section>.<field>" of the report form it was attached in; empty: added to the record'
    )
    uploaded_by = UserRefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "field",
            "name",
            "description",
            "size",
            "mime_type",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return f"/api/deviations/{obj.deviation_id}/attachments/{obj.pk}"


class LinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField(help_text="document, deviation, capa")
    target_id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField(allow_null=True, help_text="null when you may not view the record")
    version = serializers.CharField(allow_null=True, help_text="Documents: the version linked")
    reason = serializers.CharField()
    source = serializers.ChoiceField(choices=LinkSource.choices)
    accessible = serializers.BooleanField(help_text="Whether you may open the linked record")
    linked_by = UserRefSerializer()
    linked_at = serializers.DateTimeField()
    removed_at = serializers.DateTimeField(allow_null=True, help_text="Removed links stay on record")
    removed_by = UserRefSerializer(allow_null=True)
    removal_reason = serializers.CharField(allow_blank=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not instance["accessible"]:
            data["title"] = None
        return data


class BacklinkSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The kind of record holding the link: deviation, capa, ...")
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    reason = serializers.CharField()
    linked_at = serializers.DateTimeField()
    linked_by = UserRefSerializer(allow_null=True)
    status = serializers.CharField(required=False, help_text="The linking record's status, where it has one (CAPAs)")
    url = serializers.CharField(required=False, help_text="Its page, where it has one (CAPAs)")


class RecurrenceItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="deviation.pk")
    number = serializers.CharField(source="deviation.number")
    title = serializers.CharField(source="deviation.title")
    status = serializers.CharField(source="deviation.status")
    severity = serializers.CharField(source="deviation.severity")
    reported_at = serializers.DateTimeField(source="deviation.created_at")
    shared = serializers.ListField(child=serializers.CharField(), help_text="What it has in common: category, area, product")


class RecurrenceSerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text="The window before this deviation's report")
    total = serializers.IntegerField()
    items = RecurrenceItemSerializer(many=True, help_text="The most recent ones")


class DeviationDetailSerializer(DeviationListSerializer, RecordWorkflowFields):
    """context: {"detail": selectors.deviation_detail(...), "workflow": that detail's workflow}."""

    is_overdue = serializers.SerializerMethodField(help_text="Past its due date and neither closed nor cancelled")
    root_cause_method = serializers.ChoiceField(choices=RootCauseMethod.choices, allow_blank=True, read_only=True)
    capa_required = serializers.BooleanField(allow_null=True, read_only=True)
    severity_suggestion = SeveritySuggestionSerializer(read_only=True, allow_null=True)
    form_version = FormVersionRefSerializer(read_only=True)
    form_answers = FormAnswersField(read_only=True)
    attachments = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()
    linked_from = serializers.SerializerMethodField()
    recurrence = serializers.SerializerMethodField()

    class Meta(DeviationListSerializer.Meta):
        fields = DeviationListSerializer.Meta.fields + [
            "description",
            "discovered_at",
            "severity_rationale",
            "severity_suggestion",
            "immediate_action",
            "impact_assessment",
            "root_cause",
            "root_cause_method",
            "capa_required",
            "capa_decision_rationale",
            "form_version",
            "form_answers",
            "attachments",
            "links",
            "linked_from",
            "recurrence",
            "updated_at",
            "workflow",
            "available_transitions",
            "approvals",
            "signatures",
        ]
        read_only_fields = fields

    def get_is_overdue(self, obj) -> bool:
        return is_overdue(obj)

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, obj):
        return AttachmentSerializer(self.context["detail"].attachments, many=True).data

    @extend_schema_field(LinkSerializer(many=True))
    def get_links(self, obj):
        return LinkSerializer(self.context["detail"].links, many=True).data

    @extend_schema_field(BacklinkSerializer(many=True))
    def get_linked_from(self, obj):
        return BacklinkSerializer(self.context["detail"].linked_from, many=True).data

    @extend_schema_field(RecurrenceSerializer)
    def get_recurrence(self, obj):
        return RecurrenceSerializer(self.context["detail"].recurrence).data


class DeviationReportSerializer(serializers.Serializer):
    form_data = FormDataField(help_text="The answers to the active report form (see FormDataField)")
    severity_suggestion = SeveritySuggestionSerializer(
        required=False, allow_null=True, default=None, help_text="The suggestion shown to the reporter, if any"
    )


def _text(limit: int, **kwargs):
    return serializers.CharField(max_length=limit, required=False, **kwargs)


class DeviationUpdateSerializer(serializers.Serializer):
    title = _text(limits.TITLE)
    description = _text(limits.LONG_TEXT)
    occurred_at = serializers.DateField(required=False)
    discovered_at = serializers.DateField(required=False, allow_null=True)
    area = RecordByIdOrNameField(Area, required=False)
    category = RecordByIdOrNameField(Category, required=False)
    product = _text(limits.PRODUCT, allow_blank=True)
    batch = _text(limits.BATCH, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    severity_rationale = _text(limits.LONG_TEXT, allow_blank=True)
    immediate_action = _text(limits.LONG_TEXT, allow_blank=True)
    impact_assessment = _text(limits.LONG_TEXT, allow_blank=True)
    root_cause = _text(limits.LONG_TEXT, allow_blank=True)
    root_cause_method = serializers.ChoiceField(choices=RootCauseMethod.choices, required=False, allow_blank=True)
    capa_required = serializers.BooleanField(required=False, allow_null=True, help_text="null: not decided")
    capa_decision_rationale = _text(limits.LONG_TEXT, allow_blank=True, help_text="Required when capa_required is false")
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, help_text="User id of who investigates"
    )
    due_date = serializers.DateField(required=False)
    reason = ReasonField(help_text="Why it changes (audit trail). Required.")
    row_version = serializers.IntegerField(required=False, help_text="The row_version you read (or send If-Match)")


class LinkCreateSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=[(name, kind.label) for name, kind in LINK_TYPES.items()])
    target = serializers.CharField(max_length=limits.LINK_TARGET, help_text="The record's id or number, e.g. SOP-0001")
    version = serializers.CharField(
        max_length=limits.VERSION,
        required=False,
        allow_blank=True,
        default="",
        help_text="Documents: the version to link (default: the one you see, e.g. the effective version)",
    )
    reason = ReasonField(help_text="Why they are related (audit trail). Required.")


class LinksSerializer(serializers.Serializer):
    links = LinkSerializer(many=True)
    linked_from = BacklinkSerializer(many=True)
