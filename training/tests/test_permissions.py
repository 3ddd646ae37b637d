"""Training declares its permission codenames and role defaults in training/permissions.py; the
catalogue collects them, so a fresh install gives each role what the catalogue always said: a User
completes their own training, QA assigns, QA Manager and Admin manage, an Auditor only reads."""

import pytest

from accounts import catalog
from accounts.models import Role
from training import permissions

pytestmark = pytest.mark.django_db

TRAINING = {"training.view", "training.manage", "training.assign", "training.complete"}


def test_the_codenames_come_from_the_training_app_not_the_planned_list():
    assert set(permissions.PERMISSIONS) == TRAINING
    assert not TRAINING & set(catalog.PLANNED_PERMISSIONS)
    assert permissions in catalog.app_permission_modules()
    assert {c: catalog.PERMISSIONS[c] for c in TRAINING} == permissions.PERMISSIONS


@pytest.mark.parametrize(
    "role, held",
    [
        ("Admin", TRAINING),
        ("QA Manager", TRAINING),
        ("QA", {"training.view", "training.assign", "training.complete"}),
        ("User", {"training.view", "training.complete"}),
        ("Auditor", {"training.view"}),
    ],
)
def test_the_seeded_roles_hold_the_training_defaults(role, held):
    codenames = set(Role.objects.get(name=role).permissions.values_list("codename", flat=True))

    assert codenames & TRAINING == held
