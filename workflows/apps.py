from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflow engine"

    def ready(self):
        from audit.signatures import register_signature_check

        from .records_services import check_direct_signature

        # A direct signature on a controlled record passes its approval checks (e.g. the training gate).
        register_signature_check(check_direct_signature)
