"""Domain events through the transactional outbox: stored with the change, delivered once after
commit, never on rollback, retried per handler after a failure, swept when the dispatch was missed."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.models import Group
from qms import request_context
from qms.events import (
    DeliveryStatus,
    EventDelivery,
    EventName,
    OutboxEvent,
    OutsideTransaction,
    catalogue,
    deliver_event,
    emit,
    redeliver_failed,
    subscribe,
    sweep,
)
from qms.events.delivery import prune, retry_delay
from qms.events.testing import handler_registered


class ProbeEvent(EventName):
    HAPPENED = "probe.happened"
    CHANGED = "probe.changed"


class Recorder:
    """A handler that records what it was given and fails its first `failures` calls."""

    def __init__(self, failures: int = 0):
        self.events: list[OutboxEvent] = []
        self.failures = failures
        self.calls = 0

    def __call__(self, event: OutboxEvent) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"handler down (call {self.calls})")
        self.events.append(event)

    @property
    def ids(self) -> list[int]:
        return [e.pk for e in self.events]


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


# --- stored with the change, delivered after commit ------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.requirement("QMS-EVENTS")
def test_an_event_is_delivered_once_after_its_transaction_commits(make_user):
    user = make_user("QA", username="emitter")
    recorder = Recorder()
    with handler_registered("probe.*", recorder, name="test.recorder"):
        with transaction.atomic():
            event = emit(ProbeEvent.HAPPENED, user, data={"lot": "A-17"}, actor=user)
            assert recorder.events == []  # nothing leaves before the commit

        assert recorder.ids == [event.pk]
        delivered = recorder.events[0]
        assert (delivered.name, delivered.resource_type, delivered.resource_id) == ("probe.happened", "user", user.pk)
        assert (delivered.actor_id, delivered.actor_username, delivered.data) == (user.pk, "emitter", {"lot": "A-17"})
        delivery = EventDelivery.objects.get(event=event)
        assert (delivery.handler, delivery.status, delivery.attempts) == ("test.recorder", "succeeded", 1)
        assert delivery.delivered_at is not None

        # Dispatching again, or sweeping, does not deliver it a second time.
        deliver_event(event.pk, now=later(3600))
        sweep(grace=timedelta(0), now=later(3600))
        assert recorder.ids == [event.pk]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.requirement("QMS-EVENTS")
def test_a_rolled_back_change_emits_nothing(make_user):
    user = make_user("QA", username="emitter")
    recorder = Recorder()
    with handler_registered("*", recorder, name="test.recorder"):
        with pytest.raises(RuntimeError, match="business rule"):
            with transaction.atomic():
                Group.objects.create(name="Line 4 operators")
                emit(ProbeEvent.HAPPENED, user, actor=user)
                raise RuntimeError("business rule refused the change")
        with transaction.atomic():
            kept = emit(ProbeEvent.HAPPENED, user, actor=user)
            try:
                with transaction.atomic():  # a savepoint that rolls back takes its event with it
                    emit(ProbeEvent.CHANGED, user, actor=user)
                    raise ValueError("inner step failed")
            except ValueError:
                pass

    assert not Group.objects.filter(name="Line 4 operators").exists()
    assert list(OutboxEvent.objects.values_list("name", flat=True)) == ["probe.happened"]
    assert recorder.ids == [kept.pk]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_emit_outside_a_transaction_is_refused(make_user):
    user = make_user("QA", username="emitter")

    with pytest.raises(OutsideTransaction):
        emit(ProbeEvent.HAPPENED, user, actor=user)

    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_an_event_names_its_record_like_the_audit_trail_and_carries_the_request_id(make_user):
    user = make_user("QA", username="emitter")
    token = request_context.set_context(request_context.RequestContext(request_id="req-42"))
    try:
        with transaction.atomic():
            by_model = emit(ProbeEvent.HAPPENED, user, actor=user)
            by_pair = emit(ProbeEvent.CHANGED, ("document_version", 7), data={"when": timezone.now().date()})
            system = emit(ProbeEvent.CHANGED)
    finally:
        request_context.reset(token)

    assert (by_model.resource_type, by_model.resource_id, by_model.request_id) == ("user", user.pk, "req-42")
    assert (by_pair.resource_type, by_pair.resource_id, by_pair.actor_id) == ("document_version", 7, None)
    assert isinstance(OutboxEvent.objects.get(pk=by_pair.pk).data["when"], str)  # dates are stored as ISO text
    assert (system.resource_type, system.resource_id, system.actor_username) == ("", None, "")
    payload = OutboxEvent.objects.get(pk=by_model.pk).payload()
    assert payload["event"] == "probe.happened" and payload["actor"] == {"id": user.pk, "username": "emitter"}
    assert payload["occurred_at"].endswith("Z")


@pytest.mark.django_db
def test_only_declared_event_names_can_be_emitted():
    with pytest.raises(ValueError, match="Unknown event 'probe.typo'"):
        with transaction.atomic():
            emit("probe.typo")
    with transaction.atomic():
        assert emit("probe.happened").name == "probe.happened"  # a declared name given as text


def test_the_catalogue_lists_every_declared_event():
    names = catalogue()

    for name in [
        "document.created",
        "document.version_uploaded",
        "document.metadata_updated",
        "document.transitioned",
        "document.approval_given",
        "document.effective",
        "signature.created",
        "user.created",
        "user.deactivated",
    ]:
        assert name in names
    assert list(names) == sorted(names)


def test_names_and_patterns_are_checked_when_declared():
    with pytest.raises(ValueError, match="lower case"):

        class BadEvent(EventName):
            WRONG = "Document Uploaded"

    with pytest.raises(ValueError, match="declared by ProbeEvent"):

        class ClashingEvent(EventName):
            SAME = "probe.happened"

    with pytest.raises(ValueError, match="not an event name"):
        subscribe("document uploaded", name="test.bad")(lambda event: None)


# --- a failing handler ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.requirement("QMS-EVENTS")
def test_a_failing_handler_is_retried_later_and_the_others_are_not_affected(make_user, django_capture_on_commit_callbacks):
    user = make_user("QA", username="emitter")
    flaky, steady = Recorder(failures=1), Recorder()
    with (
        handler_registered("probe.happened", flaky, name="test.flaky"),
        handler_registered("probe.*", steady, name="test.steady"),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                Group.objects.create(name="Line 4 operators")
                event = emit(ProbeEvent.HAPPENED, user, actor=user)

        assert Group.objects.filter(name="Line 4 operators").exists()  # the business write stands
        assert steady.ids == [event.pk]
        failed = EventDelivery.objects.get(event=event, handler="test.flaky")
        assert (failed.status, failed.attempts) == ("pending", 1)
        assert "RuntimeError: handler down (call 1)" in failed.last_error
        assert failed.next_attempt_at > timezone.now() + retry_delay(1) - timedelta(seconds=5)

        assert sweep(now=timezone.now()).succeeded == 0  # not due yet
        report = sweep(now=later(retry_delay(1).total_seconds() + 1))

        assert (report.succeeded, report.retrying, report.failed) == (1, 0, 0)
        assert flaky.ids == [event.pk] and flaky.calls == 2
        assert steady.ids == [event.pk]  # the handler that succeeded is not called again
        failed.refresh_from_db()
        assert (failed.status, failed.attempts, failed.last_error) == ("succeeded", 2, "")


@pytest.mark.django_db
def test_a_handler_that_fails_rolls_back_what_it_wrote(make_user, django_capture_on_commit_callbacks):
    def half_done(event):
        Group.objects.create(name=f"written by handler for {event.pk}")
        raise RuntimeError("second step failed")

    with handler_registered("probe.happened", half_done, name="test.half_done"):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                emit(ProbeEvent.HAPPENED)

    assert not Group.objects.filter(name__startswith="written by handler").exists()
    assert EventDelivery.objects.get(handler="test.half_done").status == "pending"


@pytest.mark.django_db
def test_after_the_last_attempt_a_delivery_fails_until_an_operator_redelivers_it(settings, django_capture_on_commit_callbacks):
    settings.EVENTS_MAX_ATTEMPTS = 3
    broken = Recorder(failures=3)
    with handler_registered("probe.happened", broken, name="test.broken"):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                event = emit(ProbeEvent.HAPPENED)
        sweep(now=later(3600))
        sweep(now=later(7200))
        delivery = EventDelivery.objects.get(event=event)
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
        assert sweep(now=later(86400)).events == 0  # failed deliveries are not retried by the sweep
        assert broken.calls == 3

        call_command("redeliver_events", handler="test.broken", stdout=(out := _Output()))

        assert "1 delivered" in out.text
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("succeeded", 1)
        assert broken.ids == [event.pk]


@pytest.mark.django_db
def test_a_delivery_to_a_handler_that_no_longer_exists_fails_visibly(settings):
    settings.EVENTS_MAX_ATTEMPTS = 1
    with handler_registered("probe.happened", Recorder(), name="test.removed"):
        with transaction.atomic():
            event = emit(ProbeEvent.HAPPENED)
    deliver_event(event.pk)

    delivery = EventDelivery.objects.get(event=event)
    assert delivery.status == "failed"
    assert "No event handler named 'test.removed' is registered" in delivery.last_error


# --- the sweep -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_delivers_an_event_whose_dispatch_was_lost_and_is_idempotent(django_capture_on_commit_callbacks):
    recorder = Recorder()
    with handler_registered("probe.*", recorder, name="test.recorder"):
        with django_capture_on_commit_callbacks(execute=False):  # the after-commit dispatch never happens
            with transaction.atomic():
                event = emit(ProbeEvent.HAPPENED)

        assert sweep().events == 0  # within the grace period the after-commit dispatch still may come
        first = sweep(now=later(120))
        second = sweep(now=later(120))

    assert (first.events, first.succeeded) == (1, 1)
    assert (second.events, second.succeeded) == (0, 0)
    assert recorder.ids == [event.pk]


@pytest.mark.django_db
def test_redelivery_only_touches_failed_deliveries():
    recorder = Recorder()
    with handler_registered("probe.*", recorder, name="test.recorder"):
        with transaction.atomic():
            event = emit(ProbeEvent.HAPPENED)
        deliver_event(event.pk)

        assert redeliver_failed() == []
        assert EventDelivery.objects.get(event=event).status == DeliveryStatus.SUCCEEDED
        assert recorder.ids == [event.pk]


@pytest.mark.django_db
def test_pruning_keeps_what_is_pending_or_failed():
    recorder = Recorder()
    with handler_registered("probe.*", recorder, name="test.recorder"):
        with transaction.atomic():
            delivered, waiting = emit(ProbeEvent.HAPPENED), emit(ProbeEvent.CHANGED)
        deliver_event(delivered.pk)
    OutboxEvent.objects.update(occurred_at=timezone.now() - timedelta(days=100))

    assert prune(older_than=timedelta(days=90)) == 1
    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [waiting.pk]
    assert EventDelivery.objects.filter(event_id=waiting.pk, status="pending").exists()


# --- operator tooling -----------------------------------------------------------------------------------


class _Output:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


@pytest.mark.django_db
def test_outbox_status_shows_pending_and_failed_deliveries_per_handler(settings, django_capture_on_commit_callbacks):
    settings.EVENTS_MAX_ATTEMPTS = 1
    with (
        handler_registered("probe.happened", Recorder(failures=1), name="test.broken"),
        handler_registered("probe.*", Recorder(), name="test.later"),
    ):
        with django_capture_on_commit_callbacks(execute=False):
            with transaction.atomic():
                event = emit(ProbeEvent.HAPPENED, ("document", 3))
        EventDelivery.objects.filter(handler="test.later").update(next_attempt_at=later(600))  # not due yet
        deliver_event(event.pk)

        call_command("outbox_status", "--failed", stdout=(out := _Output()))

    rows = {line.split()[0]: line.split()[1:4] for line in out.text.splitlines() if line.startswith("test.")}
    assert rows["test.broken"] == ["0", "1", "0"]
    assert rows["test.later"] == ["1", "0", "0"]
    assert "Outbox lag: 0m0" in out.text
    assert f"event {event.pk} probe.happened document 3 → test.broken: 1 attempt(s)" in out.text
    assert "RuntimeError: handler down (call 1)" in out.text


@pytest.mark.django_db
def test_process_outbox_reports_what_it_delivered(django_capture_on_commit_callbacks):
    recorder = Recorder()
    with handler_registered("probe.*", recorder, name="test.recorder"):
        with django_capture_on_commit_callbacks(execute=False):
            with transaction.atomic():
                emit(ProbeEvent.HAPPENED)
                emit(ProbeEvent.CHANGED)
        call_command("process_outbox", "--grace-seconds", "0", stdout=(out := _Output()))

    assert "Outbox sweep: 2 event(s): 2 delivered, 0 to retry, 0 failed for good." in out.text
    assert len(recorder.ids) == 2


def test_a_handler_subscribed_to_no_declared_event_fails_the_system_check():
    from qms.events.checks import handlers_match_known_events

    with handler_registered("probe.typo", Recorder(), name="test.typo"):
        errors = handlers_match_known_events()

    assert [e.id for e in errors] == ["qms.E101"]
    assert "test.typo" in errors[0].msg
    assert handlers_match_known_events() == []


def test_the_events_package_imports_nothing_from_the_domain_apps():
    import ast
    from pathlib import Path

    import qms.events

    domain_apps = {"accounts", "audit", "workflows", "documents", "training", "deviations", "capa", "notifications", "search"}
    imported = set()
    for path in Path(qms.events.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])

    assert "django" in imported and not imported & domain_apps


def test_beat_runs_the_sweep_and_the_pruning_as_registered_tasks(settings):
    from qms.celery import app

    scheduled = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    app.loader.import_default_modules()

    assert {"qms.events.sweep_outbox", "qms.events.prune_outbox"} <= set(scheduled)
    assert set(scheduled) <= set(app.tasks)
    assert scheduled["qms.events.sweep_outbox"]["schedule"].total_seconds() == settings.EVENTS_SWEEP_SECONDS
