"""qms.db.before_commit: callbacks just before the commit, batched, gone with a rolled-back savepoint."""

import pytest
from django.db import transaction

from qms.db import before_commit, supports_before_commit

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls():
    seen: list[list] = []
    return seen


def test_the_project_s_engines_have_the_hook():
    assert supports_before_commit()


def test_items_of_one_transaction_reach_their_callback_once_in_order_at_the_outermost_end(calls):
    with transaction.atomic():
        before_commit(calls.append, item=1)
        with transaction.atomic():
            before_commit(calls.append, item=2)
        assert calls == []  # an inner block's end is not the commit
        before_commit(calls.append, item=3)
    assert calls == [[1, 2, 3]]


def test_items_registered_in_a_rolled_back_savepoint_are_dropped(calls):
    with transaction.atomic():
        before_commit(calls.append, item="kept")
        try:
            with transaction.atomic():
                before_commit(calls.append, item="dropped")
                raise ValueError
        except ValueError:
            pass
    assert calls == [["kept"]]


def test_a_rolled_back_transaction_runs_nothing(calls):
    with pytest.raises(ValueError), transaction.atomic():
        before_commit(calls.append, item=1)
        raise ValueError
    with transaction.atomic():
        pass
    assert calls == []


def test_outside_a_transaction_the_callback_runs_at_once(calls):
    before_commit(calls.append, item="now")
    assert calls == [["now"]]


def test_a_failing_callback_undoes_the_transaction(admin_user):
    from accounts.models import Group

    def refuse(items):
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError), transaction.atomic():
        Group.objects.create(name="Written")
        before_commit(refuse, item=None)
    assert not Group.objects.filter(name="Written").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_a_real_commit_the_callback_writes_inside_the_committed_transaction(calls):
    from accounts.models import Group

    def write(items):
        calls.append(items)
        Group.objects.create(name=f"written before commit: {items}")

    with transaction.atomic():
        before_commit(write, item="a")
        before_commit(write, item="b")
        assert calls == []
    assert calls == [["a", "b"]]
    assert Group.objects.filter(name="written before commit: ['a', 'b']").exists()
