"""The search index's event handlers: the domain events after which a record of a searchable type
changes in the index (for documents: `document.version_processed`, `document.metadata_updated`,
`document.transitioned`) queue re-indexing of that record. Delivery is at least once; indexing is
idempotent."""

from qms import searchables
from qms.events import OutboxEvent, queue_task, register_handler


def index_on_event(event: OutboxEvent) -> None:
    from . import tasks

    itype = searchables.for_resource_type(event.resource_type)
    if event.resource_id is None or itype is None:
        return
    queue_task(tasks.index_record, itype.name, event.resource_id)


def subscribe_indexing(indexable: searchables.IndexableType) -> None:
    """Subscribes `search.index_<type>` (one handler per event pattern) to the type's `index_events`."""
    patterns = indexable.index_events
    for pattern in patterns:
        name = f"search.index_{indexable.name}" if len(patterns) == 1 else f"search.index_{indexable.name}:{pattern}"
        register_handler(pattern, index_on_event, name=name)
