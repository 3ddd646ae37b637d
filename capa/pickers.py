"""The CAPA picker of deviations (registered as "capa_picker" from CapaConfig.ready): report-form
fields and deviation links that name CAPAs resolve and search the CAPAs the user may view."""

from deviations.pickers import NumberedRecordPicker

from .selectors import visible_capas


class CapaPicker(NumberedRecordPicker):
    record_type = "capa"
    record_label = "CAPA"
    plural_label = "CAPAs"
    search_order = "-number"

    def visible(self, user):
        return visible_capas(user).select_related(None).only("pk", "number", "title")

    def reference(self, capa) -> dict:
        return {"type": "capa", "id": capa.pk, "number": capa.number, "title": capa.title, "version": None}
