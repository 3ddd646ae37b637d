"""factory_boy factories for training records (tests and benchmarks)."""

import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from training.models import Assignment, AssignmentStatus, Category, ProgramStatus, TrainingProgram


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingProgram

    title = factory.Sequence(lambda n: f"Training program {n}")
    description = "What this training covers."
    category = Category.GMP
    status = ProgramStatus.PUBLISHED
    requires_signature = True
    default_due_days = 30


class AssignmentFactory(factory.django.DjangoModelFactory):
    """An open assignment made directly (tests that are not about assigning)."""

    class Meta:
        model = Assignment

    program = factory.SubFactory(ProgramFactory)
    user = factory.SubFactory(UserFactory)
    status = AssignmentStatus.ASSIGNED
    due_date = factory.LazyFunction(lambda: timezone.now().date() + datetime.timedelta(days=30))
    assigned_at = factory.LazyFunction(timezone.now)
