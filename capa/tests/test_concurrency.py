"""CAPAs under concurrency (PostgreSQL row locks): two QA Managers approving the same draft at the
same moment: exactly one succeeds (one signature, one approve step), the other gets 409 NOT_DRAFT;
CAPAs created at the same moment get consecutive numbers."""

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit.models import Signature
from capa import services
from capa.models import Capa
from conftest import PASSWORD
from deviations.tests.test_record_concurrency import run_together
from qms.errors import Conflict
from workflows.models import WorkflowHistory

from .factories import due, make_capa

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite has no concurrent row locks"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.requirement("QMS-CAPA-DRAFT")
def test_concurrent_draft_approvals_exactly_one_succeeds():
    capa = make_capa(author=UserFactory(role_name="QA", username="author"))
    managers = [UserFactory(role_name="QA Manager", username=f"manager{n}") for n in range(4)]

    def approve(manager):
        return services.approve_draft(actor=manager, capa=Capa.objects.get(pk=capa.pk), password=PASSWORD).status

    results = run_together(approve, [(m,) for m in managers])
    succeeded = [r for r in results if r == "open"]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(succeeded) == 1 and len(refused) == 3, results
    assert {r.error_code for r in refused} == {"NOT_DRAFT"}
    assert Capa.objects.get(pk=capa.pk).status == "open"
    assert Signature.objects.filter(resource_type="capa", resource_id=capa.pk).count() == 1
    assert WorkflowHistory.objects.filter(transition_name="approve_draft", instance__object_id=capa.pk).count() == 1


def test_capas_created_at_the_same_moment_get_consecutive_numbers():
    authors = [UserFactory(role_name="QA", username=f"qa{n}") for n in range(4)]

    def create(author):
        return services.create_capa(
            actor=author, title="Same moment", description="Concurrent", source="other", owner=author, due_date=due()
        ).number

    numbers = sorted(run_together(create, [(a,) for a in authors]))
    year = timezone.localdate().year
    assert numbers == [f"CAPA-{year}-{k:04d}" for k in range(1, 5)]
