"""Domain events with a transactional outbox.

    from qms.events import EventName, emit, subscribe

    class DocumentEvent(EventName):                      # <app>/events.py
        VERSION_UPLOADED = "document.version_uploaded"

    emit(DocumentEvent.VERSION_UPLOADED, document, data={...}, actor=actor)   # in a service's transaction

    @subscribe("document.*", name="search.index_documents")                   # from AppConfig.ready()
    def index_document(event: OutboxEvent) -> None: ...

Events are stored in the same transaction as the change and dispatched after commit by a Celery
task (in-process without a broker); a periodic sweep delivers whatever that missed. Delivery is at
least once per handler, retried with backoff; handlers must be idempotent. This package imports
nothing from the domain apps, so every app may use it.
"""

from . import checks  # noqa: F401 - registers the system check
from .delivery import DeliveryReport, deliver_event, redeliver_failed, sweep
from .handlers import Handler, queue_task, register_handler, registered_handlers, subscribe, unregister_handler
from .models import DeliveryStatus, EventDelivery, OutboxEvent
from .names import EventName, catalogue, is_known
from .outbox import OutsideTransaction, dispatch_later, emit

__all__ = [
    "DeliveryReport",
    "DeliveryStatus",
    "EventDelivery",
    "EventName",
    "Handler",
    "OutboxEvent",
    "OutsideTransaction",
    "catalogue",
    "deliver_event",
    "dispatch_later",
    "emit",
    "is_known",
    "queue_task",
    "redeliver_failed",
    "register_handler",
    "registered_handlers",
    "subscribe",
    "sweep",
    "unregister_handler",
]
