"""Benchmark of the dashboard API (GET /api/dashboard/...) on about 100,000 records across the
modules: 36,000 deviations (each with its workflow instance), 40,000 training assignments and
15,000 completions (2,000 people in 20 groups × 20 programs), 5,000 documents with their versions,
workflow instances and the history of those made effective, 3,000 CAPAs with 6,000 actions and
their effectiveness reviews.

A few records go through the services (the report form, the workflow templates, numbering); the
bulk is inserted directly with the same shape (bench only: the application writes through the
services). Prints, for a QA Manager (who sees everything) and for a User (who sees their own):
  1. the SQL query count of each endpoint (goal: at most 15), also after the data has grown by a
     third (it does not grow with the data; a list whose first page is not full skips its count),
  2. the time of each endpoint (median of --runs requests, in-process, DEBUG off; goal for stats on
     PostgreSQL: under 300 ms).

Standalone on a temporary SQLite database by default, or on the empty database given with
--database-url (e.g. a scratch PostgreSQL database you may fill):
    .venv/bin/python bench/dashboard.py [--scale 1.0] [--runs 7] [--database-url URL]
"""

import argparse
import datetime
import os
import statistics
import sys
import time
import warnings

import harness

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--scale", type=float, default=1.0, help="1.0: about 100,000 records")
parser.add_argument("--runs", type=int, default=7)
parser.add_argument("--database-url", default="")
parser.add_argument("--verbose", action="store_true", help="print the slowest queries of each endpoint")
parser.add_argument("--profile", action="store_true", help="print a profile of each endpoint")
ARGS = parser.parse_args()
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")  # in-process requests over plain HTTP
WORKDIR = harness.configure(ARGS.database_url)
warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic in a bench

from django.conf import settings  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.signals import request_started  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.db.models import OuterRef, Subquery  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

urlpatterns = harness.urlpatterns()

ENDPOINTS = [
    "/api/dashboard/assigned-items",
    "/api/dashboard/pending-approvals",
    "/api/dashboard/overdue-items",
    "/api/dashboard/approaching-deadlines?hours=72",
    "/api/dashboard/stats",
    "/api/dashboard/stats?group_id={group}",
]
SEVERITIES = ["Low", "Medium", "High", "Critical"]
DEVIATION_STATES = ["reported", "under_investigation", "qa_review", "closed", "cancelled"]
CAPA_STATES = ["draft", "open", "in_progress", "pending_effectiveness", "closed", "closed"]
DOCUMENT_STATES = ["effective", "effective", "effective", "draft", "in_review"]
BATCH = 2000


def users(n: int, role_name: str, prefix: str):
    from accounts.models import Role, User

    role = Role.objects.get(name=role_name)
    made = User.objects.bulk_create(
        [
            User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", full_name=f"{prefix.title()} {i}", role=role)
            for i in range(n)
        ],
        batch_size=BATCH,
    )
    return list(User.objects.filter(username__startswith=prefix).order_by("pk")) if made and made[0].pk is None else made


def instances(template, model, states: list, author_of, n: int):
    """n workflow instances of `template` for `model` records (object_id fixed up afterwards)."""
    from workflows.models import WorkflowInstance

    by_name = {s.name: s for s in template.states.all()}
    content_type = ContentType.objects.get_for_model(model)
    made = []
    for start in range(0, n, BATCH):
        made += WorkflowInstance.objects.bulk_create(
            [
                WorkflowInstance(
                    template=template,
                    content_type=content_type,
                    object_id=0,
                    current_state=by_name[states[i % len(states)]],
                    author=author_of(i),
                )
                for i in range(start, min(start + BATCH, n))
            ]
        )
    return made


def bind(made_instances, records) -> None:
    """Points each workflow instance at its record (they were made before the records had ids)."""
    from workflows.models import WorkflowInstance

    for instance, record in zip(made_instances, records, strict=True):
        instance.object_id = record.pk
    WorkflowInstance.objects.bulk_update(made_instances, ["object_id"], batch_size=500)


def create_deviations(n: int, reporters, owners, qa, suffix: str):
    from deviations import services
    from deviations.models import Area, Category, Deviation

    categories, areas = list(Category.objects.all()), list(Area.objects.all())
    template_deviation = services.report_deviation(
        actor=reporters[0],
        form_data={
            "event": {"title": "Seal torn", "description": "At the check.", "occurred_at": "2025-03-01", "area": areas[0].name},
            "classification": {"category": categories[0].name, "severity": "High"},
            "product": {"product": "Product 1", "batch": "B1"},
            "immediate_action": {"immediate_action": "Line stopped", "product_quarantined": True},
        },
    )
    template = template_deviation.workflow_instance.template
    made_instances = instances(template, Deviation, DEVIATION_STATES, lambda i: reporters[i % len(reporters)], n)
    today, now = timezone.localdate(), timezone.now()
    created = Deviation._meta.get_field("created_at")
    created.auto_now_add = False
    rows = []
    for i, instance in enumerate(made_instances):
        status = DEVIATION_STATES[i % 5]
        reported = now - datetime.timedelta(minutes=37 * i)
        rows.append(
            Deviation(
                number=f"DEV-BULK{suffix}-{i:06d}",
                title=f"Deviation {i}: seal torn at station {i % 12}",
                description="Found at the in-process check.",
                occurred_at=reported.date(),
                area=areas[i % len(areas)],
                category=categories[i % len(categories)],
                severity=SEVERITIES[i % 4],
                reported_by=reporters[i % len(reporters)],
                owner=owners[i % len(owners)] if i % 3 else qa,
                due_date=today + datetime.timedelta(days=(i % 90) - 45),
                status=status,
                closed_at=reported + datetime.timedelta(hours=6 + (i * 7) % 900) if status == "closed" else None,
                form_version=template_deviation.form_version,
                form_answers=template_deviation.form_answers,
                workflow_instance=instance,
                created_at=reported,
            )
        )
    for start in range(0, len(rows), BATCH):
        Deviation.objects.bulk_create(rows[start : start + BATCH])  # the primary keys come back (PostgreSQL, SQLite)
    created.auto_now_add = True
    bind(made_instances, rows)


def create_documents(n: int, owners, suffix: str):
    from documents.models import Document, DocumentType, DocumentVersion
    from workflows.models import WorkflowHistory

    document_type = DocumentType.objects.get(code="SOP")
    template = document_type.default_workflow
    made_instances = instances(template, DocumentVersion, DOCUMENT_STATES, lambda i: owners[i % len(owners)], n)
    today, now = timezone.localdate(), timezone.now()
    documents = []
    for i, instance in enumerate(made_instances):
        documents.append(
            Document(
                number=f"SOP-BULK{suffix}-{i:06d}",
                title=f"Procedure {i}",
                document_type=document_type,
                owner=owners[i % len(owners)],
                status=DOCUMENT_STATES[i % 5],
                workflow_instance=instance,
                next_review_date=today + datetime.timedelta(days=(i % 400) - 30)
                if DOCUMENT_STATES[i % 5] == "effective"
                else None,
                created_by=owners[i % len(owners)],
            )
        )
    for start in range(0, n, BATCH):
        Document.objects.bulk_create(documents[start : start + BATCH])
    documents = list(Document.objects.filter(number__startswith=f"SOP-BULK{suffix}-").order_by("pk"))
    versions = [
        DocumentVersion(
            document=d,
            version="1.0",
            major=1,
            minor=0,
            file=f"bench/{d.number}.pdf",
            original_filename=f"{d.number}.pdf",
            file_size=1000,
            sha256="0" * 64,
            mime_type="application/pdf",
            status=d.status,
            workflow_instance=d.workflow_instance,
            created_by=d.owner,
        )
        for d in documents
    ]
    for start in range(0, n, BATCH):
        DocumentVersion.objects.bulk_create(versions[start : start + BATCH])
    version_ids = dict(DocumentVersion.objects.filter(document__in=documents).values_list("document_id", "pk"))
    Document.objects.filter(number__startswith=f"SOP-BULK{suffix}-").update(
        current_version_id=Subquery(DocumentVersion.objects.filter(document=OuterRef("pk")).values("pk")[:1])
    )
    Document.objects.filter(number__startswith=f"SOP-BULK{suffix}-", status="effective").update(
        effective_version_id=Subquery(DocumentVersion.objects.filter(document=OuterRef("pk")).values("pk")[:1])
    )
    bind(made_instances, versions)
    history = [
        WorkflowHistory(
            instance_id=d.workflow_instance_id,
            action="transition",
            transition_name="make_effective",
            from_state="approved",
            to_state="effective",
        )
        for d in documents
        if d.status == "effective"
    ]
    WorkflowHistory.objects.bulk_create(history, batch_size=BATCH)
    stamp = WorkflowHistory._meta.get_field("created_at")
    for i, h in enumerate(WorkflowHistory.objects.filter(to_state="effective", transition_name="make_effective").only("pk")):
        if i % 50 == 0:  # spread over the year (a sample is enough for the monthly buckets)
            WorkflowHistory.objects.filter(pk=h.pk).update(created_at=now - datetime.timedelta(days=(i // 50) % 365))
    del stamp, version_ids


def create_capas(n: int, owners, suffix: str):
    """n CAPAs across their states, each with its workflow instance, two actions and, for those past
    the work, an effectiveness review (concluded for the closed ones)."""
    from capa.models import ActionStatus, Capa, CapaAction, EffectivenessReview, ReviewResult
    from workflows.models import WorkflowTemplate

    template = WorkflowTemplate.objects.get(name="CAPA handling", is_current=True)
    made_instances = instances(template, Capa, CAPA_STATES, lambda i: owners[i % len(owners)], n)
    today, now = timezone.localdate(), timezone.now()
    created = Capa._meta.get_field("created_at")
    created.auto_now_add = False
    capas = []
    for i, instance in enumerate(made_instances):
        status = CAPA_STATES[i % len(CAPA_STATES)]
        opened = now - datetime.timedelta(hours=151 * i % 9000)
        due = (opened + datetime.timedelta(days=60)).date()
        capas.append(
            Capa(
                number=f"CAPA-BULK{suffix}-{i:06d}",
                title=f"CAPA {i}: seal roll loading",
                description="Seals tear after format changes.",
                source="deviation",
                priority=("low", "medium", "high", "critical")[i % 4],
                owner=owners[i % len(owners)],
                due_date=due,
                status=status,
                closed_at=opened + datetime.timedelta(days=30 + i % 60) if status == "closed" else None,
                created_by=owners[i % len(owners)],
                workflow_instance=instance,
                created_at=opened,
            )
        )
    for start in range(0, n, BATCH):
        Capa.objects.bulk_create(capas[start : start + BATCH])
    created.auto_now_add = True
    bind(made_instances, capas)
    actions = [
        CapaAction(
            capa=capa,
            sequence=k + 1,
            description=f"Action {k + 1} of {capa.number}",
            owner=owners[(i + k) % len(owners)],
            due_date=today + datetime.timedelta(days=(i % 40) - 20 + k),
            original_due_date=capa.due_date,
            status=ActionStatus.OPEN if capa.status in ("open", "in_progress") else ActionStatus.DONE,
            created_by=capa.owner,
        )
        for i, capa in enumerate(capas)
        for k in range(2)
    ]
    CapaAction.objects.bulk_create(actions, batch_size=BATCH)
    reviews = [
        EffectivenessReview(
            capa=capa,
            sequence=1,
            planned_date=today - datetime.timedelta(days=i % 30),
            method="No recurrence in three months",
            result=(ReviewResult.EFFECTIVE if i % 4 else ReviewResult.NOT_EFFECTIVE)
            if capa.status == "closed"
            else ReviewResult.PENDING,
            reviewed_at=capa.closed_at,
            created_by=capa.owner,
        )
        for i, capa in enumerate(capas)
        if capa.status in ("pending_effectiveness", "closed")
    ]
    EffectivenessReview.objects.bulk_create(reviews, batch_size=BATCH)


def create_training(people, programs_n: int, groups_n: int, assignments_n: int, completions_n: int, suffix: str):
    from accounts.models import Group
    from training.models import Assignment, AssignmentStatus, Completion
    from training.tests.factories import ProgramFactory

    groups = [Group.objects.create(name=f"Bench group {g}{suffix}") for g in range(groups_n)]
    membership = Group.members.through
    membership.objects.bulk_create(
        [membership(group_id=groups[i % groups_n].pk, user_id=u.pk) for i, u in enumerate(people)], batch_size=BATCH
    )
    programs = [ProgramFactory(title=f"Bench program {p}{suffix}") for p in range(programs_n)]
    today, now = timezone.localdate(), timezone.now()
    rows = []
    for i in range(min(assignments_n, len(people) * programs_n)):  # each person at most once per program
        user, program = people[i % len(people)], programs[(i // len(people)) % programs_n]
        done = i % 8 < 3
        rows.append(
            Assignment(
                program=program,
                user=user,
                status=AssignmentStatus.COMPLETED if done else AssignmentStatus.ASSIGNED,
                due_date=today + datetime.timedelta(days=(i % 60) - 20),
                assigned_at=now - datetime.timedelta(days=30),
                completed_at=now if done else None,
            )
        )
    Assignment.objects.bulk_create(rows, batch_size=BATCH)
    completed = list(
        Assignment.objects.filter(status=AssignmentStatus.COMPLETED, user__in=people).select_related("program")[:completions_n]
    )
    Completion.objects.bulk_create(
        [
            Completion(
                assignment=a,
                program=a.program,
                user_id=a.user_id,
                completed_at=now - datetime.timedelta(days=10),
                expires_at=None if i % 5 else now - datetime.timedelta(days=1),
                recorded_by_id=a.user_id,
                program_title=a.program.title,
            )
            for i, a in enumerate(completed)
        ],
        batch_size=BATCH,
    )
    return groups


def analyze() -> None:
    """Planner statistics after the bulk load, as autovacuum keeps them on a live PostgreSQL database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure(client, url: str, headers: dict) -> tuple[int, float]:
    # Django empties the query log when a request starts; keep it for the count.
    request_started.disconnect(reset_queries)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    request_started.connect(reset_queries)
    captured = list(ctx.captured_queries)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    if ARGS.verbose:
        for q in sorted(captured, key=lambda q: -float(q["time"]))[:3]:
            print(f"      {float(q['time']) * 1000:7.1f} ms  {q['sql'][:150]}")
    if ARGS.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        client.get(url, **headers)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    times = []
    for _ in range(ARGS.runs):
        started = time.perf_counter()
        client.get(url, **headers)
        times.append((time.perf_counter() - started) * 1000)
    return len(captured), statistics.median(times)


def build(scale: float, suffix: str):
    from accounts.models import Role, User

    n = lambda x: max(int(x * scale), 1)  # noqa: E731
    people = users(n(2000), "User", f"trainee{suffix}-")
    owners = users(n(40), "QA", f"owner{suffix}-")
    qa = owners[0]
    if not User.objects.filter(username="bench-manager").exists():
        User.objects.create_user("bench-manager", "m@example.com", "Bench-Pass-123", role=Role.objects.get(name="QA Manager"))
    create_deviations(n(36000), people[:200], owners, qa, suffix)
    create_documents(n(5000), owners, suffix)
    create_capas(n(3000), owners, suffix)
    groups = create_training(people, 20, 20, n(40000), n(15000), suffix)
    return groups


def report(client, label: str, headers: dict, group) -> dict:
    print(f"\n{label}")
    print(f"  {'endpoint':<52} {'queries':>7} {'median ms':>10}")
    out = {}
    for url in ENDPOINTS:
        url = url.format(group=group.pk)
        queries, ms = measure(client, url, headers)
        out[url.split("group_id=")[0]] = queries
        print(f"  GET {url:<48} {queries:>7} {ms:>10.1f}")
    return out


def main():
    from accounts.models import User
    from capa.models import Capa, CapaAction, EffectivenessReview
    from deviations.models import Deviation
    from documents.models import Document
    from training.models import Assignment, Completion

    def records() -> int:
        return sum(
            m.objects.count() for m in (Deviation, Document, Assignment, Completion, Capa, CapaAction, EffectivenessReview)
        )

    setup_test_environment()
    print(f"Database: {settings.DATABASES['default']['ENGINE']} ({'given' if ARGS.database_url else WORKDIR})")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    groups = build(ARGS.scale, "")
    total = records()
    print(f"Created {total:,} records in {time.perf_counter() - started:.1f} s")
    analyze()
    manager = User.objects.get(username="bench-manager")
    trainee = User.objects.get(username="trainee-0")
    ok = True
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        client = Client()
        headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(manager).access_token}"}
        user_headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(trainee).access_token}"}
        client.get("/api/dashboard/stats", **headers)  # warm up
        before = report(client, "QA Manager (sees everything)", headers, groups[0])
        report(client, "User (sees their own)", user_headers, groups[0])
        build(ARGS.scale / 3, "x")
        total = records()
        analyze()
        after = report(client, f"QA Manager after growing to {total:,} records", headers, groups[0])
        for url, queries in before.items():
            ok &= queries <= 15 and after[url] <= 15
        grew = [url for url, queries in before.items() if after[url] != queries]
        print(f"\nQuery counts at most 15 at both sizes: {'yes' if ok else 'NO'}")
        print(
            "Changed with growth: "
            + (", ".join(f"{url} {before[url]} -> {after[url]}" for url in grew) or "none")
            + " (a list whose first page is not full needs no count query: one less per item type)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
