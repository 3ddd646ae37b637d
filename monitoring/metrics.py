"""What the system measures about itself, in one Prometheus registry read by both endpoints:
GET /metrics (Prometheus text format, prometheus_client) and GET /api/monitoring/metrics (JSON).

- per request (RequestMetricsMiddleware): count by endpoint group, method and status class, and a
  latency histogram by endpoint group (`documents`, `deviations`, ... for /api/<group>/..., `pages`
  for the server-rendered pages);
- read when scraped (StateCollector): Celery queue depth (Redis broker), the event outbox (pending,
  failed), webhook deliveries and notification emails (pending, failed), search index lag, and the
  health of the database, Redis and the vector store.

With several processes (gunicorn workers) set PROMETHEUS_MULTIPROC_DIR to a shared, emptied-at-start
folder: prometheus_client then aggregates the request metrics of every process.
"""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

STARTED = time.time()
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("qms_http_requests", "HTTP requests served", ["group", "method", "status"], registry=REGISTRY)
LATENCY = Histogram(
    "qms_http_request_duration_seconds", "Time to answer a request", ["group"], buckets=BUCKETS, registry=REGISTRY
)


def endpoint_group(path: str) -> str | None:
    """`/api/documents/5/approve` → "documents"; pages → "pages"; static files and /metrics → None."""
    if path.startswith(("/static/", "/media/")) or path == "/metrics":
        return None
    if path.startswith("/api/"):
        parts = [p for p in path[5:].split("/") if p]
        return parts[0][:40] if parts else "root"
    return "pages"


def observe(group: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(group=group, method=method, status=f"{status // 100}xx").inc()
    LATENCY.labels(group=group).observe(seconds)


# --- the state of the system, read when asked ---------------------------------------------------------------


def queue_depth() -> dict[str, int] | None:
    """Messages waiting in the Celery queues (Redis broker); None for another or no broker."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        return {"celery": int(client.llen("celery"))}
    except Exception:
        return None


def background_work() -> dict[str, int]:
    from notifications.models import EmailStatus, Notification, WebhookDelivery
    from qms.events import DeliveryStatus, EventDelivery

    outbox = dict(
        EventDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).values_list("status").annotate(n=Count("pk")).order_by()
    )
    hooks = dict(WebhookDelivery.objects.exclude(status="succeeded").values_list("status").annotate(n=Count("pk")).order_by())
    emails = dict(
        Notification.objects.filter(email_status__in=[EmailStatus.PENDING, EmailStatus.FAILED])
        .values_list("email_status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "outbox_pending": outbox.get(DeliveryStatus.PENDING, 0),
        "outbox_failed": outbox.get(DeliveryStatus.FAILED, 0),
        "webhooks_pending": hooks.get("pending", 0),
        "webhooks_failed": hooks.get("failed", 0),
        "emails_pending": emails.get(EmailStatus.PENDING, 0),
        "emails_failed": emails.get(EmailStatus.FAILED, 0),
    }


def index_lag() -> dict:
    from search.models import IndexedRecord, IndexStatus

    waiting = IndexedRecord.objects.exclude(status=IndexStatus.INDEXED)
    counts = dict(waiting.values_list("status").annotate(n=Count("pk")).order_by())
    oldest = waiting.filter(status=IndexStatus.PENDING).aggregate(oldest=Min("requested_at"))["oldest"]
    return {
        "pending": counts.get(IndexStatus.PENDING, 0),
        "failed": counts.get(IndexStatus.FAILED, 0),
        "lag_seconds": round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0,
    }


def health() -> dict[str, str]:
    from qms.health import database_status, redis_status
    from search import vectorstore

    states = {"database": database_status()}
    redis_state = redis_status()
    states["redis"] = redis_state or "not_configured"
    states["chroma"] = "connected" if vectorstore.heartbeat() else "disconnected"
    return states


class StateCollector:
    """Gauges read from the database, the broker and the dependencies at each scrape."""

    def describe(self):
        return []

    def collect(self):
        work = background_work()
        for name, value in work.items():
            yield GaugeMetricFamily(f"qms_{name}", f"Background work: {name.replace('_', ' ')}", value=value)
        depth = queue_depth()
        queue = GaugeMetricFamily("qms_celery_queue_depth", "Messages waiting in the Celery queue", labels=["queue"])
        for name, value in (depth or {}).items():
            queue.add_metric([name], value)
        yield queue
        lag = index_lag()
        yield GaugeMetricFamily(
            "qms_search_index_lag_seconds", "Age of the oldest record waiting to be indexed", value=lag["lag_seconds"]
        )
        yield GaugeMetricFamily("qms_search_index_pending", "Records waiting to be indexed", value=lag["pending"])
        up = GaugeMetricFamily("qms_dependency_up", "1 when the dependency answers", labels=["dependency"])
        for name, state in health().items():
            if state != "not_configured":
                up.add_metric([name], 1.0 if state == "connected" else 0.0)
        yield up
        yield GaugeMetricFamily("qms_uptime_seconds", "Seconds since this process started", value=time.time() - STARTED)


def scrape_registry() -> CollectorRegistry:
    """The registry /metrics renders: this process's (or every process's) request metrics and the state."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(StateCollector())
    return registry


class _Forward:
    def __init__(self, source: CollectorRegistry):
        self.source = source

    def describe(self):
        return []

    def collect(self):
        return self.source.collect()


# --- the JSON summary ---------------------------------------------------------------------------------------


def request_summary() -> dict:
    """Per endpoint group: requests, errors (5xx), client errors (4xx), mean and ~p95 latency (ms)."""
    groups: dict[str, dict] = {}
    buckets: dict[str, list[tuple[float, float]]] = {}
    sums: dict[str, float] = {}
    for family in REGISTRY.collect():
        for sample in family.samples:
            group = sample.labels.get("group")
            if group is None:
                continue
            row = groups.setdefault(group, {"requests": 0, "client_errors": 0, "server_errors": 0})
            if sample.name == "qms_http_requests_total":
                row["requests"] += int(sample.value)
                if sample.labels["status"] == "4xx":
                    row["client_errors"] += int(sample.value)
                elif sample.labels["status"] == "5xx":
                    row["server_errors"] += int(sample.value)
            elif sample.name == "qms_http_request_duration_seconds_bucket":
                buckets.setdefault(group, []).append((float(sample.labels["le"]), sample.value))
            elif sample.name == "qms_http_request_duration_seconds_sum":
                sums[group] = sample.value
    total = 0
    for group, row in groups.items():
        total += row["requests"]
        count = max((c for _, c in buckets.get(group, [])), default=0)
        row["mean_ms"] = round(sums.get(group, 0.0) / count * 1000, 1) if count else None
        row["p95_ms"] = _quantile_ms(sorted(buckets.get(group, [])), count, 0.95)
    return {"total": total, "by_group": dict(sorted(groups.items()))}


def _quantile_ms(buckets: list[tuple[float, float]], count: float, q: float) -> float | None:
    """The upper bound of the histogram bucket holding the q-quantile (an upper estimate)."""
    if not count:
        return None
    for bound, cumulative in buckets:
        if cumulative >= q * count:
            return None if bound == float("inf") else round(bound * 1000, 1)
    return None


def summary() -> dict:
    depth = queue_depth()
    return {
        "timestamp": timezone.now(),
        "uptime_seconds": round(time.time() - STARTED, 1),
        "requests": request_summary(),
        "celery": {
            "eager": bool(settings.CELERY_TASK_ALWAYS_EAGER),
            "queue_depth": sum(depth.values()) if depth is not None else None,
        },
        "background": background_work(),
        "search_index": index_lag(),
        "health": health(),
    }
