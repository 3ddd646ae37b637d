"""BeforeCommitMixin: the pre-commit hook added to Django's database wrappers.

Django has `on_commit` (after the commit) but nothing just before it. The mixin keeps a list of
(savepoint ids, callback, item) like Django's `run_on_commit` and runs the callbacks:

- in `commit()`, when the outermost atomic block ends (production, transactional tests);
- in `savepoint_commit()`, when the block being released is the outermost one that is not a
  test case's own wrapping block (tests that run inside a transaction which is never
  committed), so tests see the same writes a real commit would have made.

Savepoint rollbacks drop the items registered inside them; rollback() and close() drop all.
"""

from __future__ import annotations

from django.utils.asyncio import async_unsafe


class BeforeCommitMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.run_before_commit: list[tuple[set, object, object]] = []

    def register_before_commit(self, callback, item) -> None:
        if not self._in_application_transaction():
            callback([item])
            return
        self.run_before_commit.append((set(self.savepoint_ids), callback, item))

    def _in_application_transaction(self) -> bool:
        """In an atomic block opened by the application (not only by a test case's wrapper)."""
        return any(not getattr(block, "_from_testcase", False) for block in self.atomic_blocks)

    def _run_before_commit_hooks(self) -> None:
        pending, self.run_before_commit = self.run_before_commit, []
        batches: dict[object, list] = {}
        for _, callback, item in pending:
            batches.setdefault(callback, []).append(item)
        for callback, items in batches.items():
            callback(items)

    @async_unsafe
    def commit(self):
        if self.run_before_commit:
            try:
                self._run_before_commit_hooks()
            except BaseException:
                self.rollback()
                raise
        super().commit()

    @async_unsafe
    def savepoint_commit(self, sid):
        at_test_boundary = (
            self.run_before_commit
            and self.atomic_blocks
            and all(getattr(block, "_from_testcase", False) for block in self.atomic_blocks)
        )
        if at_test_boundary:
            try:
                self._run_before_commit_hooks()
            except BaseException:
                self.savepoint_rollback(sid)
                super().savepoint_commit(sid)
                raise
        super().savepoint_commit(sid)

    @async_unsafe
    def savepoint_rollback(self, sid):
        super().savepoint_rollback(sid)
        self.run_before_commit = [entry for entry in self.run_before_commit if sid not in entry[0]]

    @async_unsafe
    def rollback(self):
        self.run_before_commit = []
        super().rollback()

    @async_unsafe
    def close(self):
        self.run_before_commit = []
        super().close()
