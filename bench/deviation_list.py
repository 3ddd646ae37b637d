"""Benchmark of the deviation list and detail (GET /api/deviations/, GET /api/deviations/{id}).

Prints
  1. the number of SQL queries for the list with page_size=20 and page_size=100 (they must be
     equal: the list joins what a row shows instead of querying per row), also sorted by severity
     and filtered to overdue deviations;
  2. the number of SQL queries for a deviation's detail with few and with many links, attachments
     and earlier deviations (they must be equal);
  3. requests per second for the list (page_size=20) and the detail next to a bare DRF endpoint
     (same JWT authentication, a constant body), measured in alternating slices in the same run,
     and the ratio (the goal for the list: at least 0.30).

Standalone: 20,000 deviations in a temporary SQLite database by default (a few hundred reported
through the services, the rest inserted in bulk with the same shape), or in the database given
with --database-url (it must be an empty database you may fill, e.g. a scratch PostgreSQL one).
    .venv/bin/python bench/deviation_list.py [--deviations 20000] [--seconds 3] [--database-url URL]
"""

import argparse
import datetime
import sys
import time

import harness

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--deviations", type=int, default=20000)
parser.add_argument("--reported", type=int, default=200, help="how many of them go through the report service")
parser.add_argument("--seconds", type=float, default=3.0)
parser.add_argument("--database-url", default="")
ARGS = parser.parse_args()
WORKDIR = harness.configure(ARGS.database_url)

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

urlpatterns = harness.urlpatterns()
compare_rates = harness.compare_rates

SEVERITIES = ["Low", "Medium", "High", "Critical"]
STATUSES = ["reported", "under_investigation", "qa_review", "closed", "cancelled"]


def answers(i: int, categories, areas) -> dict:
    return {
        "event": {
            "title": f"Deviation {i}: seal torn at station {i % 12}",
            "description": f"Found at the in-process check of batch B{i:05d}.",
            "occurred_at": "2025-03-01",
            "area": areas[i % len(areas)].name,
        },
        "classification": {"category": categories[i % len(categories)].name, "severity": SEVERITIES[i % 4]},
        "product": {"product": f"Product {i % 40}", "batch": f"B{i:05d}"},
        "immediate_action": {"immediate_action": "Line stopped", "product_quarantined": True},
    }


def create_data(total: int, reported: int):
    from accounts.models import Role, User
    from deviations import services
    from deviations.models import Area, Category, Deviation

    def user(name, role):
        return User.objects.create_user(
            name, f"{name}@example.com", "Bench-Pass-123", role=Role.objects.get(name=role), full_name=name
        )

    reporter, qa = user("bench-reporter", "User"), user("bench-qa", "QA")
    categories, areas = list(Category.objects.all()), list(Area.objects.all())
    made = [
        services.report_deviation(actor=reporter, form_data=answers(i, categories, areas)) for i in range(min(reported, total))
    ]
    template = made[0]
    created = Deviation._meta.get_field("created_at")
    created.auto_now_add = False  # bulk rows spread over two years, as a real site's history
    now, rows = timezone.now(), []
    for i in range(len(made), total):
        rows.append(
            Deviation(
                number=f"DEV-BULK-{i:06d}",
                title=f"Deviation {i}: seal torn at station {i % 12}",
                description=template.description,
                occurred_at=datetime.date(2025, 1, 1) + datetime.timedelta(days=i % 365),
                area=areas[i % len(areas)],
                category=categories[i % len(categories)],
                product=f"Product {i % 40}",
                batch=f"B{i:05d}",
                severity=SEVERITIES[i % 4],
                immediate_action=template.immediate_action,
                reported_by=reporter if i % 3 else qa,
                owner=qa if i % 2 else None,
                due_date=datetime.date(2025, 1, 1) + datetime.timedelta(days=i % 800),
                status=STATUSES[i % 5],
                form_version=template.form_version,
                form_answers=template.form_answers,
                created_at=now - datetime.timedelta(minutes=53 * i),
            )
        )
        if len(rows) == 2000:
            Deviation.objects.bulk_create(rows)
            rows = []
    Deviation.objects.bulk_create(rows)
    created.auto_now_add = True
    return reporter, qa, made


def grow(deviation, qa, others, *, links: int, attachments: int) -> None:
    from deviations import services

    for other in others[:links]:
        services.link_record(actor=qa, deviation=deviation, target_type="deviation", target=other.pk, reason="Same filling line")
        services.link_record(actor=qa, deviation=other, target_type="deviation", target=deviation.pk, reason="Same filling line")
    for n in range(attachments):
        upload = SimpleUploadedFile(f"log-{n}.txt", f"Line log {n}\n".encode())
        services.add_attachments(actor=qa, deviation=deviation, uploads=[upload])


def queries(client, url: str, headers: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def main():
    from workflows import records_services

    setup_test_environment()
    print(f"Database: {settings.DATABASES['default']['ENGINE']} ({'given' if ARGS.database_url else WORKDIR})")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    reporter, qa, made = create_data(ARGS.deviations, ARGS.reported)
    print(
        f"Created {ARGS.deviations} deviations ({len(made)} through the report service) in {time.perf_counter() - started:.1f} s"
    )

    few, many = made[1], made[2]
    for deviation in (few, many):
        records_services.transition_record(actor=qa, record=deviation, name="start_investigation")
    grow(few, qa, made[3:], links=1, attachments=1)
    grow(many, qa, made[3:], links=40, attachments=20)

    headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(qa).access_token}"}
    ok = True
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        client = Client()
        client.get("/api/deviations/", **headers)  # warm up
        print("\nSQL queries for GET /api/deviations/")
        for label, params in (("", ""), ("sort=severity desc", "&sort=severity%20desc"), ("overdue=true", "&overdue=true")):
            counts = [queries(client, f"/api/deviations/?page_size={size}{params}", headers) for size in (20, 100)]
            same = counts[0] == counts[1]
            ok &= same
            verdict = "yes" if same else "NO"
            print(f"  {label or 'default sort':<20} page_size=20: {counts[0]}  page_size=100: {counts[1]}  constant: {verdict}")

        detail = [queries(client, f"/api/deviations/{d.pk}", headers) for d in (few, many)]
        same = detail[0] == detail[1]
        ok &= same
        print("\nSQL queries for GET /api/deviations/{id}")
        print(f"  1 link each way, 1 attachment:     {detail[0]}")
        print(f"  40 links each way, 20 attachments: {detail[1]}")
        print(f"  constant in links and attachments: {'yes' if same else 'NO'}")

        print(
            f"\nThroughput (in-process WSGI, single thread, DEBUG off; {ARGS.seconds:.0f} s of alternating slices "
            "with the bare DRF endpoint, medians)"
        )
        for label, url in (
            ("list ?page_size=20", "/api/deviations/?page_size=20"),
            ("detail (many)", f"/api/deviations/{many.pk}"),
        ):
            rps, bare_rps, ratio = compare_rates(client, url, headers, ARGS.seconds)
            print(f"  GET {label:<20} {rps:8.1f} req/s   bare {bare_rps:8.1f} req/s   ratio {ratio:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
