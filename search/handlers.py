"""The search index's event handlers: every domain event about a record of a searchable type
(`document.created`, `document.version_processed`, `document.metadata_updated`, `document.effective`,
...) queues re-indexing of that record. Delivery is at least once; indexing is idempotent."""

from qms import searchables
from qms.events import OutboxEvent, queue_task, register_handler


def index_on_event(event: OutboxEvent) -> None:
    from . import tasks

    if event.resource_id is None or event.resource_type not in searchables.names():
        return
    queue_task(tasks.index_record, event.resource_type, event.resource_id)


def subscribe_indexing(indexable: searchables.IndexableType) -> None:
    """Subscribes `search.index_<type>` to the type's events (`<type>.*`)."""
    register_handler(f"{indexable.name}.*", index_on_event, name=f"search.index_{indexable.name}")
