"""A test-only app (installed only when pytest runs, see qms/settings.py): one record type that
proves the workflow kit works for any model with nothing but a registration."""

from django.apps import AppConfig


def root_cause_given(*, actor, record, instance, transition):
    if not record.root_cause.strip():
        yield (["root_cause"], f"{record.number} needs a root cause before it can be closed.")


class KitTestAppConfig(AppConfig):
    name = "workflows.tests.testapp"
    label = "kit_testapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from workflows.records import register_record_type

        from .models import SampleRecord

        register_record_type(
            SampleRecord,
            resource_type="sample_record",
            label="Sample record",
            view_permission="deviations.view",
            approve_permission="deviations.approve",
            configure_permission="deviations.edit",
            number_prefix="SMP",
            workflow_template="Sample review",
            configurable_kinds=["open"],
            state_guards={"closed": [root_cause_given]},
        )
