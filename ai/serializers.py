"""Request and response shapes of the AI assistant endpoints."""

from rest_framework import serializers

from .models import Conversation, Message


class ChatRequestSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=4000)
    context_documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=20,
        help_text="Document ids to ground the answer in (you must be allowed to view each; 404 otherwise). "
        "Empty: the best search hits you may read are used.",
    )
    conversation_id = serializers.IntegerField(required=False, allow_null=True, help_text="Continue one of your conversations")


class CitationSerializer(serializers.Serializer):
    document_id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    version = serializers.CharField(allow_null=True)
    page = serializers.IntegerField(allow_null=True)
    excerpt = serializers.CharField()


class ChatMessageSerializer(serializers.ModelSerializer):
    citations = CitationSerializer(many=True)
    context_documents = serializers.ListField(child=serializers.IntegerField())

    class Meta:
        model = Message
        fields = ["id", "role", "content", "citations", "context_documents", "model", "created_at"]


class ChatResponseSerializer(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    message = ChatMessageSerializer()
    citations = CitationSerializer(many=True)
    suggestion = serializers.BooleanField(help_text="Always true: AI output is a suggestion")
    notice = serializers.CharField()


class GenerateRequestSerializer(serializers.Serializer):
    prompt = serializers.CharField(max_length=8000)
    document_type = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="What to write (report, summary, SOP outline); with save_as_draft, a document type code, name or id",
    )
    save_as_draft = serializers.BooleanField(required=False, default=False)
    title = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class GenerateResponseSerializer(serializers.Serializer):
    content = serializers.CharField(help_text="Markdown")
    content_type = serializers.CharField()
    model = serializers.CharField()
    document_id = serializers.IntegerField(allow_null=True, help_text="The draft document created (save_as_draft)")
    document_number = serializers.CharField(allow_null=True)
    suggestion = serializers.BooleanField()
    notice = serializers.CharField()


class AnalyzeRequestSerializer(serializers.Serializer):
    document_id = serializers.IntegerField(min_value=1)
    instructions = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class LocationSerializer(serializers.Serializer):
    page = serializers.IntegerField(allow_null=True)
    section = serializers.CharField(allow_blank=True)


FINDING_SEVERITIES = [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")]


class FindingSerializer(serializers.Serializer):
    finding = serializers.CharField()
    severity = serializers.ChoiceField(choices=FINDING_SEVERITIES)
    location = LocationSerializer()
    excerpt = serializers.CharField(allow_blank=True)


class AnalyzeResponseSerializer(serializers.Serializer):
    document_id = serializers.IntegerField()
    number = serializers.CharField()
    version = serializers.CharField()
    findings = FindingSerializer(many=True)
    parts = serializers.IntegerField(help_text="Parts the text was analysed in")
    model = serializers.CharField()
    suggestion = serializers.BooleanField()
    notice = serializers.CharField()


class ConversationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conversation
        fields = ["id", "title", "created_at", "updated_at"]


class ConversationDetailSerializer(ConversationSerializer):
    messages = ChatMessageSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]


class SuggestSeverityRequestSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=5000, help_text="The deviation's description (what happened)")


class SuggestSeverityResponseSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(
        choices=["Low", "Medium", "High", "Critical"],
        allow_null=True,
        help_text="The suggested severity; null when no closed deviation is similar enough (similar_history)",
    )
    confidence = serializers.FloatField(
        min_value=0,
        max_value=1,
        help_text="llm: the model's own estimate; similar_history: the calibrated weight share of the vote "
        "(see the README: on the demo history, suggestions stated at about this confidence were right about this often)",
    )
    rationale = serializers.CharField()
    method = serializers.ChoiceField(choices=["llm", "similar_history"], help_text="How it was suggested")
