"""Two approvers racing for one approval slot: exactly one approval counts (PostgreSQL row locks)."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from conftest import PASSWORD
from documents import services
from documents.models import Document, DocumentType
from qms.errors import DomainError
from workflows.models import Approval

from .conftest import make_pdf


def _race(document_id, users):
    barrier = threading.Barrier(len(users))
    results: dict[str, object] = {}

    def run(user):
        try:
            document = Document.objects.get(pk=document_id)
            barrier.wait()
            services.approve_document(actor=user, document=document, password=PASSWORD)
            results[user.username] = "approved"
        except DomainError as exc:
            results[user.username] = exc
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results[user.username] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite has no concurrent row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("reviewer_first", [False, True], ids=["slot-in-open-review", "last-slot-ends-review"])
def test_two_simultaneous_approvals_for_one_slot_count_once(make_user, reviewer_first):
    author, reviewer = make_user("QA", username="author"), make_user("QA", username="reviewer")
    qam1, qam2 = make_user("QA Manager", username="qam1"), make_user("QA Manager", username="qam2")
    document = services.upload_document(
        actor=author,
        file=SimpleUploadedFile("sop.pdf", make_pdf(["SOP"])),
        title="Racing SOP",
        document_type=DocumentType.objects.get(code="SOP"),
    )
    services.transition_document(actor=author, document=document, name="submit")
    if reviewer_first:
        services.approve_document(actor=reviewer, document=document, password=PASSWORD)

    results = _race(document.pk, [qam1, qam2])

    outcomes = sorted(str(type(v).__name__) if not isinstance(v, str) else v for v in results.values())
    assert outcomes.count("approved") == 1, results
    loser = next(v for v in results.values() if not isinstance(v, str))
    assert isinstance(loser, DomainError) and loser.status_code == 409, loser
    counted = Approval.objects.filter(instance__object_id=document.pk, approver__in=[qam1, qam2])
    assert counted.count() == 1
    document.refresh_from_db()
    assert document.status == ("approved" if reviewer_first else "in_review")
    from audit.models import Signature

    # The loser's signature was rolled back with its approval.
    assert Signature.objects.filter(signer__in=[qam1, qam2]).count() == 1
