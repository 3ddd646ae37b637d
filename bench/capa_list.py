"""Benchmark of the CAPA list and detail (GET /api/capa/, GET /api/capa/{id}).

Prints
  1. the number of SQL queries for the list with page_size=20 and page_size=100 (they must be
     equal), also sorted by priority, filtered to overdue CAPAs and by linked deviation;
  2. the number of SQL queries for a CAPA's detail with few and with many deviation links,
     actions and effectiveness reviews (they must be equal);
  3. requests per second for the list (page_size=20) next to a bare DRF endpoint (same JWT
     authentication, a constant body) in the same run, and their ratio.

Standalone: 20,000 CAPAs in a temporary SQLite database by default (a few dozen made through the
services, the rest inserted in bulk with the same shape), or in the database given with
--database-url (an empty database you may fill, e.g. a scratch PostgreSQL one).
    .venv/bin/python bench/capa_list.py [--capas 20000] [--seconds 3] [--database-url URL]
"""

import argparse
import datetime
import sys
import time

import harness

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--capas", type=int, default=20000)
parser.add_argument("--created", type=int, default=40, help="how many of them go through the create service")
parser.add_argument("--seconds", type=float, default=3.0)
parser.add_argument("--database-url", default="")
ARGS = parser.parse_args()
WORKDIR = harness.configure(ARGS.database_url)

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

urlpatterns = harness.urlpatterns()
rate = harness.rate

PRIORITIES = ["low", "medium", "high", "critical"]
STATUSES = ["draft", "open", "in_progress", "pending_effectiveness", "closed", "cancelled"]
SOURCES = ["deviation", "audit_finding", "complaint", "trend", "other"]


def create_data(total: int, created: int):
    from accounts.models import Role, User
    from capa import services
    from capa.models import Capa

    def user(name, role):
        return User.objects.create_user(
            name, f"{name}@example.com", "Bench-Pass-123", role=Role.objects.get(name=role), full_name=name
        )

    qa, manager = user("bench-qa", "QA"), user("bench-manager", "QA Manager")
    today = timezone.localdate()
    made = [
        services.create_capa(
            actor=qa,
            title=f"CAPA {i}: seal failures at station {i % 12}",
            description="Torn seals found at the in-process checks.",
            source=SOURCES[i % 5],
            priority=PRIORITIES[i % 4],
            owner=qa,
            due_date=today + datetime.timedelta(days=30 + i % 60),
        )
        for i in range(min(created, total))
    ]
    template = made[0]
    field = Capa._meta.get_field("created_at")
    field.auto_now_add = False  # bulk rows spread over two years, as a real site's history
    now, rows = timezone.now(), []
    for i in range(len(made), total):
        rows.append(
            Capa(
                number=f"CAPA-BULK-{i:06d}",
                title=f"CAPA {i}: seal failures at station {i % 12}",
                description=template.description,
                capa_type=["corrective", "preventive", "both"][i % 3],
                source=SOURCES[i % 5],
                priority=PRIORITIES[i % 4],
                owner=qa if i % 2 else manager,
                created_by=qa,
                due_date=datetime.date(2025, 1, 1) + datetime.timedelta(days=i % 800),
                status=STATUSES[i % 6],
                created_at=now - datetime.timedelta(minutes=53 * i),
            )
        )
        if len(rows) == 2000:
            Capa.objects.bulk_create(rows)
            rows = []
    Capa.objects.bulk_create(rows)
    field.auto_now_add = True
    return qa, manager, made


def grow(capa, qa, deviations, *, actions: int, reviews: int) -> None:
    from capa import services

    for deviation in deviations:
        services.link_deviation(actor=qa, capa=capa, deviation=deviation, reason="Same line, same failure")
    today = timezone.localdate()
    for n in range(actions):
        services.add_action(
            actor=qa, capa=capa, description=f"Action {n}", owner=qa, due_date=today + datetime.timedelta(days=n + 1)
        )
    for n in range(reviews):
        services.create_review(actor=qa, capa=capa, planned_date=today + datetime.timedelta(days=90 + n), method=f"Check {n}")


def make_deviations(count: int):
    from accounts.models import Role, User
    from deviations import services

    reporter = User.objects.create_user("bench-reporter", "r@example.com", "Bench-Pass-123", role=Role.objects.get(name="User"))
    answers = {
        "event": {
            "title": "Seal torn",
            "description": "At the in-process check.",
            "occurred_at": "2025-03-01",
            "area": "Packaging",
        },
        "classification": {"category": "Process", "severity": "High"},
        "product": {"product": "", "batch": ""},
        "immediate_action": {"immediate_action": "Line stopped", "product_quarantined": False},
    }
    return [services.report_deviation(actor=reporter, form_data=answers) for _ in range(count)]


def queries(client, url: str, headers: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return len(ctx.captured_queries)


def main():
    setup_test_environment()
    print(f"Database: {settings.DATABASES['default']['ENGINE']} ({'given' if ARGS.database_url else WORKDIR})")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    qa, manager, made = create_data(ARGS.capas, ARGS.created)
    print(f"Created {ARGS.capas} CAPAs ({len(made)} through the create service) in {time.perf_counter() - started:.1f} s")

    deviations = make_deviations(41)
    few, many = made[1], made[2]
    grow(few, qa, deviations[:1], actions=1, reviews=1)
    grow(many, qa, deviations[1:], actions=30, reviews=5)

    headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(qa).access_token}"}
    ok = True
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        client = Client()
        client.get("/api/capa/", **headers)  # warm up
        print("\nSQL queries for GET /api/capa/")
        filters = (
            ("", ""),
            ("sort=priority desc", "&sort=priority%20desc"),
            ("overdue=true", "&overdue=true"),
            ("deviation=<id>", f"&deviation={deviations[1].pk}"),
        )
        for label, params in filters:
            counts = [queries(client, f"/api/capa/?page_size={size}{params}", headers) for size in (20, 100)]
            same = counts[0] == counts[1]
            ok &= same
            verdict = "yes" if same else "NO"
            print(f"  {label or 'default sort':<20} page_size=20: {counts[0]}  page_size=100: {counts[1]}  constant: {verdict}")

        detail = [queries(client, f"/api/capa/{c.pk}", headers) for c in (few, many)]
        same = detail[0] == detail[1]
        ok &= same
        print("\nSQL queries for GET /api/capa/{id}")
        print(f"  1 deviation link, 1 action, 1 review:       {detail[0]}")
        print(f"  40 deviation links, 30 actions, 5 reviews:  {detail[1]}")
        print(f"  constant in links per CAPA:                 {'yes' if same else 'NO'}")

        print(f"\nThroughput (in-process WSGI, single thread, {ARGS.seconds:.0f} s each, DEBUG off)")
        list_rps, list_n = rate(client, "/api/capa/?page_size=20", ARGS.seconds, headers)
        detail_rps, detail_n = rate(client, f"/api/capa/{many.pk}", ARGS.seconds, headers)
        bare_rps, bare_n = rate(client, "/bench/bare", ARGS.seconds, headers)
        print(f"  GET /api/capa/?page_size=20   {list_rps:8.1f} req/s  ({list_n} requests)")
        print(f"  GET /api/capa/{{id}} (many)    {detail_rps:8.1f} req/s  ({detail_n} requests)")
        print(f"  GET bare DRF endpoint         {bare_rps:8.1f} req/s  ({bare_n} requests)")
        print(
            f"  list/bare ratio: {list_rps / bare_rps:.2f} (the list costs {bare_rps / list_rps:.1f}× the bare endpoint's time)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
