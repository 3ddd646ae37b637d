"""Shapes of GET /api/search/: the query parameters and the result envelope."""

from rest_framework import serializers

from qms import searchables as registry

TYPES = ("document", "deviation", "capa", "training")


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=500, trim_whitespace=True, help_text="What to look for (words or a question)")
    type = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"Record types, comma-separated: {', '.join(TYPES)} (default: every type you may see)",
    )
    category = serializers.CharField(required=False, allow_blank=True, max_length=100)
    status = serializers.CharField(required=False, allow_blank=True, max_length=50, help_text="e.g. effective, draft")
    document_type = serializers.CharField(required=False, allow_blank=True, max_length=20, help_text="Type id or code (SOP)")
    date_from = serializers.DateField(required=False, help_text="Created on or after (YYYY-MM-DD)")
    date_to = serializers.DateField(required=False, help_text="Created on or before (YYYY-MM-DD)")
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)

    def validate_type(self, value):
        names = [v.strip().lower() for v in (value or "").split(",") if v.strip()]
        unknown = [n for n in names if n not in TYPES]
        if unknown:
            raise serializers.ValidationError(f"Unknown type {unknown[0]!r}; use {', '.join(TYPES)}.")
        return names

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["date_to is before date_from."]})
        return attrs

    def filters(self) -> registry.SearchFilters:
        data = self.validated_data
        return registry.SearchFilters(
            category=data.get("category", ""),
            status=data.get("status", ""),
            document_type=data.get("document_type", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class HitSerializer(serializers.Serializer):
    resource_type = serializers.ChoiceField(choices=TYPES)
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    version = serializers.CharField(allow_null=True, help_text="The version the passage comes from (documents)")
    category = serializers.CharField(allow_blank=True)
    score = serializers.FloatField(help_text="Reciprocal-rank-fusion score (higher is better)")
    snippet = serializers.CharField(
        help_text="The matching passage, HTML-escaped; the only markup is <mark>…</mark> around matching words"
    )
    page = serializers.IntegerField(allow_null=True, help_text="Page of the passage, where known")
    url = serializers.CharField(help_text="The record's page")
    matched = serializers.ListField(child=serializers.ChoiceField(choices=["semantic", "keyword"]))


class SearchResultSerializer(serializers.Serializer):
    items = HitSerializer(many=True)
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Hits the caller may see (never counts records they may not view)")
    pages = serializers.IntegerField()
    query = serializers.CharField()
    semantic = serializers.BooleanField(
        help_text="false when the vector store or the embedding model was unavailable: keyword results only"
    )


class IndexStatusSerializer(serializers.Serializer):
    type = serializers.CharField()
    records = serializers.IntegerField(allow_null=True)
    indexed = serializers.IntegerField()
    pending = serializers.IntegerField()
    failed = serializers.IntegerField()
    chunks = serializers.IntegerField()
    vectors = serializers.IntegerField(allow_null=True, help_text="null when the vector store is unreachable")
    lag_seconds = serializers.FloatField(help_text="Age of the oldest record waiting to be indexed")
    embedding_model = serializers.CharField()


class SimilarQuerySerializer(serializers.Serializer):
    description = serializers.CharField(required=False, max_length=5000, help_text="Text to compare (what happened)")
    deviation_id = serializers.IntegerField(required=False, min_value=1, help_text="Or a deviation to compare (left out)")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=5)

    def validate(self, attrs):
        if bool((attrs.get("description") or "").strip()) == (attrs.get("deviation_id") is not None):
            raise serializers.ValidationError({"description": ["Give either description or deviation_id."]})
        return attrs


class SimilarDeviationSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="deviation.pk")
    number = serializers.CharField(source="deviation.number")
    title = serializers.CharField(source="deviation.title")
    status = serializers.CharField(source="deviation.status")
    severity = serializers.CharField(source="deviation.severity")
    category = serializers.CharField(source="deviation.category.name")
    area = serializers.CharField(source="deviation.area.name")
    reported_at = serializers.DateTimeField(source="deviation.created_at")
    similarity = serializers.FloatField(help_text="Cosine similarity of the best-matching passage, -1..1 (higher: closer)")
    url = serializers.CharField(source="deviation.get_absolute_url")


class SimilarDeviationsSerializer(serializers.Serializer):
    items = SimilarDeviationSerializer(many=True)
    total = serializers.IntegerField()
