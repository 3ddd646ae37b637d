from django.apps import AppConfig


class DeviationsConfig(AppConfig):
    name = "deviations"
    verbose_name = "Deviations"

    def ready(self):
        from audit.signatures import register_signature_check
        from workflows import related

        from . import definition, links, options, pickers, records, reporting, selectors, signing, subjects, usage
        from .models import Area, Category, Deviation

        # document_picker resolves documents; capa_picker says CAPAs are not available until the
        # CAPA module registers its own resolver (deviations never imports capa).
        pickers.register_default_pickers()
        # Deviations are a controlled record type of the workflow kit (DEV-2026-0001, approve, ...).
        records.register()
        # Attachments and links are audited under their deviation (deviations/subjects.py).
        subjects.register()
        # Who may sign a deviation directly, with which meaning (deviations/signing.py).
        register_signature_check(signing.check_direct_signature)
        # A form version deviations were reported with is never changed in place.
        usage.register_usage("deviation", usage.references(Deviation, "form_version"))
        # Every published report form can fill a deviation's fields.
        definition.register_publish_check(reporting.publish_problems)
        # The category and area choices of report forms are the ones kept in the admin.
        options.register_option_source("deviation_categories", label="Deviation categories", options=_names(Category))
        options.register_option_source("deviation_areas", label="Deviation areas", options=_names(Area))
        links.register_backlinks("deviation", selectors.deviation_backlinks)
        # A document's page lists the deviations citing it (documents never import deviations).
        related.register_related("document", "deviations", selectors.deviations_citing_document)


def _names(model):
    def options() -> list[dict]:
        names = model.objects.filter(is_active=True).order_by("name").values_list("name", flat=True)
        return [{"value": name, "label": name} for name in names]

    return options
