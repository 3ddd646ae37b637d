"""Database plumbing shared by the apps: a pre-commit hook on every transaction.

    from qms.db import before_commit

    before_commit(append_events, item=event)

`append_events(items)` runs once, just before the transaction commits (at the end of the outermost
`transaction.atomic()` block), with every item registered for it in that transaction, in order.
Items registered inside a savepoint that is rolled back are dropped, exactly like Django's
`on_commit` callbacks; a rolled-back transaction runs nothing. Whatever the callback writes is
committed in the same transaction, and an exception from it rolls the whole transaction back.

The audit trail uses it to append a use case's events to the hash chain at the very end of the
transaction, so the chain head is locked only between that append and the commit.

It needs the database engines in qms.db.backends (settings.py selects them for PostgreSQL and
SQLite). On any other engine the callback runs at once, inside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction


def before_commit(callback: Callable[[list], None], *, item=None, using: str | None = None) -> None:
    """Registers `item` for `callback(items)`, called just before the current transaction commits.

    Outside a transaction (autocommit) the callback runs immediately with `[item]`."""
    connection = transaction.get_connection(using)
    register = getattr(connection, "register_before_commit", None)
    if register is None:
        callback([item])
        return
    register(callback, item)


def supports_before_commit(using: str | None = None) -> bool:
    return hasattr(transaction.get_connection(using), "register_before_commit")
