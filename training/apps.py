from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training"

    def ready(self):
        from audit.signatures import register_signable

        from .models import Completion

        # A completion of a program that needs an e-signature is signed by its trainee with the
        # meaning "training completion"; the signature covers the program and the document version.
        register_signable("training_completion", Completion, view_permission="training.view", label="Training completion")
