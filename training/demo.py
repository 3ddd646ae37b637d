"""Demo training data for `manage.py seed_demo` (made through the training services, so every
step is in the audit trail; created once, never changed by a re-run):

- four programs: "GMP basics" (yearly retraining), "Good documentation practice", "Leading quality
  teams" (a session with 12 seats, no e-signature) and a draft "Information security awareness";
- the SOP type's training audience (the Production and Quality Assurance groups, 14 days), and the
  read-and-understood items for the effective demo SOP that it gives to user@, qa@ and qa.manager@;
- "GMP basics" required to approve SOPs in review;
- qa@ and qa.manager@ completed "GMP basics" with their electronic signature;
- user@ has an overdue "Good documentation practice" and a seat in "Leading quality teams".
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import Group, User

GMP_BASICS = "GMP basics"
GDP = "Good documentation practice"
LEADERSHIP = "Leading quality teams"
SECURITY = "Information security awareness"

PROGRAMS = [
    {
        "title": GMP_BASICS,
        "description": "EU GMP and 21 CFR 210/211 principles: quality system, hygiene, documentation, deviations.",
        "category": "GMP",
        "level": "BEGINNER",
        "status": "PUBLISHED",
        "duration_minutes": 90,
        "credits": 2,
        "retraining_interval_days": 365,
        "default_due_days": 30,
    },
    {
        "title": GDP,
        "description": "ALCOA+: attributable, legible, contemporaneous, original and accurate records.",
        "category": "GMP",
        "level": "BEGINNER",
        "status": "PUBLISHED",
        "duration_minutes": 60,
        "credits": 1,
        "default_due_days": 14,
    },
    {
        "title": LEADERSHIP,
        "description": "Classroom session for team leads: quality culture, escalation, coaching.",
        "category": "LEADERSHIP",
        "level": "INTERMEDIATE",
        "status": "PUBLISHED",
        "duration_minutes": 240,
        "credits": 4,
        "max_participants": 12,
        "requires_signature": False,
    },
    {
        "title": SECURITY,
        "description": "Phishing, passwords and the clean desk policy.",
        "category": "SECURITY",
        "level": "BEGINNER",
        "status": "DRAFT",
        "duration_minutes": 30,
    },
]


def seed_training(*, password: str) -> list[str]:
    """Creates the demo training data once (nothing happens when "GMP basics" exists already) and
    returns lines for the seed_demo printout. `password` is the demo users' (they sign completions)."""
    from documents.models import Document, DocumentType

    from . import services
    from .models import TrainingProgram

    users = {u.username: u for u in User.objects.filter(is_active=True, username__endswith="@example.com")}
    admin, qa, manager, user = (
        users.get(name) for name in ("admin@example.com", "qa@example.com", "qa.manager@example.com", "user@example.com")
    )
    if not (admin and qa and manager and user):
        return []
    if TrainingProgram.objects.filter(title=GMP_BASICS).exists():
        return _summary()

    programs = {}
    for data in PROGRAMS:
        data = {**data, "instructor": manager if data["title"] == LEADERSHIP else None}
        programs[data["title"]] = services.create_program(actor=admin, data=data)

    sop_type = DocumentType.objects.filter(code="SOP").first()
    groups = list(Group.objects.filter(name__in=["Production", "Quality Assurance"]))
    if sop_type is not None:
        services.set_training_audience(
            actor=admin, document_type=sop_type, groups=groups, due_days=14, reason="Demo: SOPs are read by production and QA"
        )
        services.add_qualification_requirement(
            actor=admin, document_type=sop_type, workflow_state="in_review", program=programs[GMP_BASICS]
        )
        sop = Document.objects.filter(document_type=sop_type, effective_version__isnull=False).order_by("pk").first()
        if sop is not None:
            services.assign_read_and_understood(version=sop.effective_version)

    services.assign_training(actor=qa, program=programs[GMP_BASICS], users=[qa, manager], reason="Demo: approvers of SOPs")
    for person in (qa, manager):
        services.complete_training(actor=person, program=programs[GMP_BASICS], password=password)
    services.assign_training(
        actor=qa,
        program=programs[GDP],
        users=[user],
        due_date=timezone.now().date() - datetime.timedelta(days=5),
        reason="Demo: carried over from last year's training plan (already late)",
    )
    services.register_for_training(actor=user, program=programs[LEADERSHIP])
    return _summary()


def _summary() -> list[str]:
    from .models import Assignment, Completion, TrainingProgram

    lines = [f"{TrainingProgram.objects.count()} programs; open assignments:"]
    for a in (
        Assignment.objects.filter(status__in=["assigned", "overdue"], user__username__endswith="@example.com")
        .select_related("user", "program", "document_version__document")
        .order_by("user__username", "pk")
    ):
        what = f"{a.document_version.document.number} v{a.document_version.version}" if a.document_version else a.program.title
        lines.append(f"  {a.user.username:<26} {what} ({a.status}, due {a.due_date:%Y-%m-%d})")
    signed = Completion.objects.filter(program__title=GMP_BASICS).values_list("user__username", flat=True)
    if signed:
        lines.append(f"{GMP_BASICS} completed with e-signature by {', '.join(sorted(signed))}")
    return lines


def seed(stdout) -> None:
    """Creates the demo training data that does not exist yet and lists it (manage.py seed_demo)."""
    from accounts.demo import DEMO_PASSWORD

    lines = seed_training(password=DEMO_PASSWORD)
    if lines:
        stdout.write("  Demo training")
        for line in lines:
            stdout.write(f"  {line}")
        stdout.write("")
