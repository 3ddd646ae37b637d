from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training"

    def ready(self):
        from audit.models import SignatureType
        from audit.signatures import register_signable
        from workflows.records import register_approval_check

        from . import handlers, selectors, subjects  # noqa: F401 - handlers subscribes the event handlers
        from .indexing import register_programs
        from .models import Completion
        from .services import check_qualified_to_approve

        # The subject of training records in the audit trail (see training/subjects.py).
        subjects.register()
        # A completion of a program that needs an e-signature is signed by its trainee with the
        # meaning "training completion"; the signature covers the program and the document version.
        register_signable(
            "training_completion",
            Completion,
            view_permission="training.view",
            label="Training completion",
            can_view=lambda user, completion: selectors.completion_list(user).filter(pk=completion.pk).exists(),
            visible_ids=lambda user: selectors.completion_list(user).values("pk"),
            direct_meanings={SignatureType.TRAINING_COMPLETION},
            subject=subjects.program_of,
        )
        # Approving or signing a controlled record (documents, deviations, CAPA, ...) in a state whose
        # configuration requires training is refused with 403 TRAINING_REQUIRED.
        register_approval_check(check_qualified_to_approve)
        # Training programs are searchable (qms.searchables: the search app indexes them on their events).
        register_programs()
