"""The search index's event handlers: the domain events after which a record of a searchable type
changes in the index (its type's `index_events`, e.g. `document.version_processed`,
`deviation.updated`, `training.program_deleted`) queue re-indexing of that record. An event names
its record as the audit trail does (`training_program`), which maps to the searchable type
(`training`); events about other records of the same app are ignored. Delivery is at least once;
indexing is idempotent (a deleted record is removed)."""

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
