"""Shapes of the dashboard API: query parameters (validated: 422 with loc ["query", name]) and responses."""

from __future__ import annotations

import datetime
import math

from django.utils import timezone
from rest_framework import serializers

from accounts.selectors import group_list_for
from qms.api.fields import IdField

from . import selectors


class ListQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, default=1, help_text="Page number (1-based).")
    page_size = serializers.IntegerField(
        min_value=1, max_value=selectors.MAX_PAGE_SIZE, default=selectors.PAGE_SIZE, help_text="Rows per page (max 100)."
    )

    def validate(self, attrs):
        if attrs["page"] * attrs["page_size"] > selectors.MAX_ROWS:
            raise serializers.ValidationError(
                {"page": [f"The dashboard lists the first {selectors.MAX_ROWS} rows; each module's own list has the rest."]}
            )
        return attrs


class ScopedListQuerySerializer(ListQuerySerializer):
    mine = serializers.BooleanField(
        default=False,
        help_text="Only the caller's own items (owned or assigned); default: every item the caller may see.",
    )


class DeadlinesQuerySerializer(ScopedListQuerySerializer):
    hours = serializers.IntegerField(
        min_value=1, max_value=24 * 366, default=24, help_text="The window from now, in hours (default 24, at most a year)."
    )


EARLIEST, LATEST = datetime.date(1900, 1, 1), datetime.date(2999, 12, 31)


class StatsQuerySerializer(serializers.Serializer):
    """`context={"user": …}`: the caller (group_id must name a group they may see)."""

    date_from = serializers.DateField(
        required=False, help_text="First day of the period (default: start of the month 11 months back)."
    )
    date_to = serializers.DateField(required=False, help_text="Last day of the period (default: today).")
    group_id = IdField(required=False, help_text="Only the work of this group's members (owners, trainees).")

    def validate_group_id(self, value):
        """A group the caller may see (every group with groups.view, otherwise their own)."""
        if not group_list_for(self.context["user"]).filter(pk=value).exists():
            raise serializers.ValidationError("No group with this id.")
        return value

    def validate(self, attrs):
        default_from, default_to = selectors.default_period(timezone.localdate())
        date_from, date_to = attrs.get("date_from") or default_from, attrs.get("date_to") or default_to
        for name, value in (("date_from", date_from), ("date_to", date_to)):
            if not EARLIEST <= value <= LATEST:
                raise serializers.ValidationError({name: [f"Enter a date from {EARLIEST} to {LATEST}."]})
        if date_from > date_to:
            raise serializers.ValidationError({"date_to": ["date_to must not be before date_from."]})
        if (date_to - date_from).days > 366 * 10:
            raise serializers.ValidationError({"date_to": ["The period may span at most ten years."]})
        return attrs


class TrainingGateSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The training program (null: not created yet).")
    title = serializers.CharField()


class ItemSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="document, document_review, deviation, training_assignment, capa, capa_action")
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why the item is on this list.")
    owner = serializers.CharField(help_text="Owner or trainee (printed name).")
    priority = serializers.CharField(help_text="Severity or priority where the record has one.")
    link = serializers.CharField(help_text="The record's page.")
    can_approve = serializers.BooleanField(
        allow_null=True, help_text="Pending approvals: whether the training gate lets the caller approve now."
    )
    missing_training = TrainingGateSerializer(many=True, help_text="Pending approvals: the training the caller lacks.")


class WorkListSerializer(serializers.Serializer):
    items = ItemSerializer(many=True)
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    total = serializers.IntegerField()
    pages = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Total per item type.")

    @classmethod
    def of(cls, work_list: selectors.WorkList) -> dict:
        return cls(
            {
                "items": work_list.items,
                "page": work_list.page,
                "page_size": work_list.page_size,
                "total": work_list.total,
                "pages": math.ceil(work_list.total / work_list.page_size) if work_list.total else 0,
                "counts": work_list.counts,
            }
        ).data


class MonthCountSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    count = serializers.IntegerField()


class StatusCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class DocumentStatsSerializer(serializers.Serializer):
    by_status = StatusCountSerializer(many=True, help_text="Documents by the state of their current cycle (now).")
    effective_per_month = MonthCountSerializer(many=True, help_text="Versions made effective, per month of the period.")
    review_overdue = serializers.IntegerField(help_text="Effective documents past their periodic review date.")
    review_due = serializers.IntegerField(help_text="Effective documents due for periodic review within review_window_days.")
    review_window_days = serializers.IntegerField()


class SeverityCountSerializer(serializers.Serializer):
    severity = serializers.CharField()
    count = serializers.IntegerField()


class DeviationStatsSerializer(serializers.Serializer):
    opened_per_month = MonthCountSerializer(many=True)
    closed_per_month = MonthCountSerializer(many=True)
    open_by_severity = SeverityCountSerializer(many=True)
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    closed = serializers.IntegerField(help_text="Deviations closed within the period.")
    mean_days_to_close = serializers.FloatField(allow_null=True, help_text="Of those closed in the period.")
    p90_days_to_close = serializers.FloatField(allow_null=True, help_text="90th percentile (nearest rank).")


class ComplianceSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    required = serializers.IntegerField(help_text="Person × program pairs required (a non-cancelled assignment).")
    qualified = serializers.IntegerField(help_text="Of them, qualified now (valid completion).")
    percent = serializers.FloatField(allow_null=True)


class TrainingStatsSerializer(serializers.Serializer):
    compliance = ComplianceSerializer()
    per_group = ComplianceSerializer(many=True)
    per_program = ComplianceSerializer(many=True)
    overdue_assignments = serializers.IntegerField()


class CapaStatsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    closed = serializers.IntegerField(help_text="CAPAs closed within the period.")
    closed_on_time = serializers.IntegerField()
    on_time_closure_rate = serializers.FloatField(allow_null=True, help_text="Percent of those closed in the period.")
    effectiveness_reviews = serializers.IntegerField(help_text="Effectiveness reviews concluded within the period.")
    effective = serializers.IntegerField()
    effectiveness_rate = serializers.FloatField(allow_null=True, help_text="Percent judged effective.")


class StatsSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    group_id = serializers.IntegerField(allow_null=True)
    generated_at = serializers.DateTimeField()
    documents = DocumentStatsSerializer(allow_null=True)
    deviations = DeviationStatsSerializer(allow_null=True)
    capa = CapaStatsSerializer(allow_null=True, help_text="Null while the CAPA module is not installed.")
    training = TrainingStatsSerializer(allow_null=True)
