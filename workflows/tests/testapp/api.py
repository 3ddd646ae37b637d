"""The sample record's API: a ViewSet with the kit's mixin (approve, transition, configure-approval, workflow)."""

from rest_framework import mixins, serializers, viewsets

from workflows.api import ControlledRecordActionsMixin

from .models import SampleRecord


class SampleRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = SampleRecord
        fields = ["id", "number", "title", "root_cause", "status", "row_version"]


class SampleRecordViewSet(ControlledRecordActionsMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    record_type = "sample_record"
    serializer_class = SampleRecordSerializer
    required_permissions = {"retrieve": "deviations.view"}
