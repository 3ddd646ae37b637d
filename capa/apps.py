from django.apps import AppConfig


class CapaConfig(AppConfig):
    name = "capa"
    verbose_name = "CAPA"

    def ready(self):
        from deviations import links, pickers
        from workflows import related

        from . import indexing, records, selectors, subjects
        from .pickers import CapaPicker

        # CAPAs are a controlled record type of the workflow kit (CAPA-2026-0001, approve, ...);
        # effectiveness reviews are signed by their reviewer.
        records.register()
        records.register_review_signatures()
        subjects.register()
        # Deviations link CAPAs through their picker and show the CAPAs raised for them (deviations
        # never import capa).
        pickers.register_picker("capa_picker", CapaPicker())
        links.register_backlinks("capa", selectors.capas_of_deviation)
        links.register_raise_action("capa", selectors.raise_capa_action)
        # A document's page lists the CAPAs referring to its versions.
        related.register_related("document", "capas", selectors.capas_citing_document)
        # Search indexes CAPAs on their events, permission-aware.
        indexing.register_capas()
