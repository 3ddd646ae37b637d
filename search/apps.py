from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self):
        from qms import searchables

        from .handlers import subscribe_indexing

        # Every searchable record type (registered by its own app) is indexed on its domain events.
        searchables.on_register(subscribe_indexing)
