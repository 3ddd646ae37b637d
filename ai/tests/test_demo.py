"""The deviation history of `manage.py seed_demo` that the offline severity suggestion votes with."""

from io import StringIO

import pytest
from django.core.management import call_command

from ai.severity_history import HISTORY
from deviations.models import Deviation

pytestmark = pytest.mark.django_db


def test_seed_demo_closes_the_deviation_history_once(settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path / "media"
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO(), quiet=True)
    history = Deviation.objects.filter(title__in=[entry[0] for entry in HISTORY])
    assert history.count() == len(HISTORY) == 40
    assert set(history.values_list("status", flat=True)) == {"closed"}
    assert {title: severity for title, _, _, _, severity in HISTORY} == dict(history.values_list("title", "severity"))
    assert f"{len(HISTORY)} closed deviations ({len(HISTORY)} made now)" in out.getvalue()
