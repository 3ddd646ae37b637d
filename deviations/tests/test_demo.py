"""The demo deviations of `manage.py seed_demo`: one under investigation, one closed with the QA
Manager's signature, one just reported; made once."""

from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import Signature
from deviations.demo import CLOSED, REPORTED, UNDER_INVESTIGATION
from deviations.models import Deviation

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_the_demo_deviations_once(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO(), quiet=True)
    # (Other modules may seed deviations of their own, e.g. the history the severity suggestion votes with.)
    demo = Deviation.objects.filter(title__in=[UNDER_INVESTIGATION, CLOSED, REPORTED])
    by_status = dict(demo.values_list("status", "title"))
    assert set(by_status) == {"under_investigation", "closed", "reported"} and demo.count() == 3
    investigated = demo.get(status="under_investigation")
    assert investigated.owner.username == "qa@example.com" and investigated.reported_by.username == "user@example.com"
    assert investigated.links.filter(target_type="document", target_number="SOP-0001").exists()
    closed = demo.get(status="closed")
    signature = Signature.objects.get(resource_type="deviation", resource_id=closed.pk)
    assert signature.signer.username == "qa.manager@example.com"
    assert "Demo deviations" in out.getvalue() and closed.number in out.getvalue()
