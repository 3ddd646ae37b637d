from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self):
        from qms import health, searchables

        from . import vectorstore
        from .handlers import subscribe_indexing

        # Every searchable record type (registered by its own app) is indexed on its domain events.
        searchables.on_register(subscribe_indexing)
        # GET /api/health lists the vector store (its outage degrades search, not the service).
        health.register_dependency("vector_store", vectorstore.heartbeat)
