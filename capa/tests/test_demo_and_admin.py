"""The demo CAPAs of `manage.py seed_demo` (a draft waiting for the QA Manager, an open one raised
from the demo deviation with one action done and one overdue, a closed one with an effective
review), made once; the admin shows CAPAs read-only."""

from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import Signature
from capa import selectors
from capa.models import Capa

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_the_demo_capas_once(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO(), quiet=True)
    assert Capa.objects.count() == 3
    draft, running, closed = (Capa.objects.get(status=s) for s in ("draft", "in_progress", "closed"))
    manager = draft.owner.__class__.objects.get(username="qa.manager@example.com")
    assert list(selectors.pending_approval(manager).drafts) == [draft]
    assert running.deviation_links.get().deviation.title == "Torn seal on filling line 1"
    assert sorted(running.actions.values_list("status", flat=True)) == ["done", "open"]
    employee = running.owner.__class__.objects.get(username="user@example.com")
    assert list(selectors.overdue(employee, mine=True).actions) == [running.actions.get(status="open")]
    review = closed.effectiveness_reviews.get()
    assert review.result == "effective"
    assert Signature.objects.filter(resource_type="capa_effectiveness_review", resource_id=review.pk).exists()
    assert Signature.objects.filter(resource_type="capa", resource_id=closed.pk, signer=manager).count() == 2
    assert "Demo CAPAs" in out.getvalue() and closed.number in out.getvalue()


def test_the_admin_lists_capas_read_only(client, admin_user, settings):
    from .factories import make_capa

    capa = make_capa(author=admin_user)
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client.force_login(admin_user)
    listing = client.get("/admin/capa/capa/")
    assert listing.status_code == 200 and capa.number in listing.content.decode()
    page = client.get(f"/admin/capa/capa/{capa.pk}/change/")
    assert page.status_code == 200 and b'name="title"' not in page.content
    assert client.post("/admin/capa/capa/add/", {}).status_code == 403
