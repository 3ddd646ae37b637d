"""Admin for CAPAs: read-only (CAPAs, actions, reviews and links change through their pages and the
API, where the workflow, reasons and electronic signatures apply); the workflow template is edited
in the workflows admin. Every CAPA row links to its page."""

from django.contrib import admin
from django.utils.html import format_html

from audit.admin import ReadOnlyAdmin

from .models import Capa, CapaAction, CapaDeviation, EffectivenessReview


@admin.register(Capa)
class CapaAdmin(ReadOnlyAdmin):
    list_display = ["number", "legacy_number", "title", "status", "capa_type", "source", "priority", "owner", "due_date", "page"]
    list_filter = ["status", "capa_type", "source", "priority"]
    search_fields = ["number", "legacy_number", "title"]
    list_select_related = ["owner"]

    @admin.display(description="Page")
    def page(self, obj):
        return format_html('<a href="{}">open</a>', obj.get_absolute_url())


@admin.register(CapaAction)
class CapaActionAdmin(ReadOnlyAdmin):
    list_display = ["capa", "sequence", "owner", "due_date", "status", "completed_at"]
    list_filter = ["status"]
    search_fields = ["capa__number", "description"]
    list_select_related = ["capa", "owner"]


@admin.register(EffectivenessReview)
class EffectivenessReviewAdmin(ReadOnlyAdmin):
    list_display = ["capa", "sequence", "planned_date", "result", "reviewer", "reviewed_at"]
    list_filter = ["result"]
    search_fields = ["capa__number"]
    list_select_related = ["capa", "reviewer"]


@admin.register(CapaDeviation)
class CapaDeviationAdmin(ReadOnlyAdmin):
    list_display = ["capa", "deviation", "created_by", "created_at", "removed_at"]
    search_fields = ["capa__number", "deviation__number"]
    list_select_related = ["capa", "deviation", "created_by"]
