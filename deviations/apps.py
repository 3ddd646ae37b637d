from django.apps import AppConfig


class DeviationsConfig(AppConfig):
    name = "deviations"
    verbose_name = "Deviations"

    def ready(self):
        from . import pickers

        # document_picker resolves documents; capa_picker says CAPAs are not available until the
        # CAPA module registers its own resolver (deviations never imports capa).
        pickers.register_default_pickers()
