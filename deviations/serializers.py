"""Request and response shapes of the deviation form API (shape only; rules live in the services
and deviations/definition.py), and the schema of stored answers (deviations/forms_engine.py)."""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from documents.serializers import UserRefSerializer

from .definition import MAX_DESCRIPTION, MAX_HELP, MAX_LABEL, MAX_NAME, MAX_REGEX, SUGGESTERS
from .models import FieldType, FormStatus, FormTemplate
from .options import CurrentOptions

# --- form definitions ---------------------------------------------------------------------------------


class OptionSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=100)
    label = serializers.CharField(
        max_length=MAX_LABEL, required=False, allow_blank=True, help_text="Shown to the reporter (default: the value)"
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
    key = serializers.CharField(max_length=50, help_text="Lower-case identifier, unique in the form, e.g. occurred_at")
    label = serializers.CharField(max_length=MAX_LABEL)
    type = serializers.ChoiceField(choices=FieldType.choices)
    help_text = serializers.CharField(max_length=MAX_HELP, required=False, allow_blank=True, default="")
    required = serializers.BooleanField(required=False, default=False, help_text="Checkbox: must be ticked")
    options = OptionSerializer(
        many=True,
        required=False,
        default=list,
        help_text="select fields only. With options_from: the source's current choices (ignored when sent back)",
    )
    options_from = serializers.CharField(
        max_length=50,
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
        help_text="text (≤ 1000, default 255) and textarea (≤ 20000, default 10000)",
    )
    regex = serializers.CharField(
        max_length=MAX_REGEX,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="text and textarea: the whole answer must match this Python regular expression",
    )
    regex_message = serializers.CharField(
        max_length=MAX_LABEL, required=False, allow_blank=True, default="", help_text="Shown when the pattern does not match"
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
    key = serializers.CharField(max_length=50, help_text="Lower-case identifier, unique in the form, e.g. event")
    title = serializers.CharField(max_length=MAX_LABEL)
    description = serializers.CharField(max_length=MAX_HELP, required=False, allow_blank=True, default="")
    fields = FormFieldSerializer(many=True, required=False, default=list)


class FormTemplateWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=MAX_NAME)
    description = serializers.CharField(max_length=MAX_DESCRIPTION, required=False, allow_blank=True, default="")
    sections = FormSectionSerializer(many=True)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", write_only=True)
    row_version = serializers.IntegerField(required=False, write_only=True, help_text="Optimistic concurrency check (PUT)")


class PublishSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why this version becomes the reporting form (audit trail)")
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
