"""What the benchmark scripts share: a temporary SQLite database and media folder (or a given
database), Django set up as in production (DEBUG off, no broker, no rate limit in the way), the
bare authenticated DRF view every figure is compared with, and the requests-per-second loop.

    import harness
    WORKDIR = harness.configure(database_url="")   # before importing anything from Django
    urlpatterns = harness.urlpatterns()           # the API plus /bench/bare
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def configure(database_url: str = "") -> str:
    """Sets the environment (a temporary folder for the SQLite database and the files unless
    `database_url` is given) and sets Django up; returns the temporary folder."""
    sys.path.insert(0, str(ROOT))
    workdir = tempfile.mkdtemp(prefix="qms-bench-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "qms.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdef0123456789abcdef",
            "AUDIT_HMAC_KEY": "bench-only-audit-key-0123456789abcdef0123456789",
            "DATABASE_URL": database_url or f"sqlite:///{workdir}/bench.sqlite3",
            "MEDIA_ROOT": f"{workdir}/media",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "",
            "THROTTLE_USER_RATE": "100000000/min",
            "LOG_LEVEL": "WARNING",
            # The in-process client speaks plain HTTP; production's HTTPS redirect would answer 301.
            "SECURE_SSL_REDIRECT": "false",
        }
    )
    import django

    django.setup()
    return workdir


def urlpatterns() -> list:
    """The project's URLs plus GET /bench/bare: the same authentication and renderer as the API and
    no database work (the framework's floor)."""
    from django.urls import include, path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class BareView(APIView):
        required_permissions = {"get": None}

        def get(self, request):
            return Response({"items": [], "page": 1, "page_size": 20, "total": 0, "pages": 0})

    return [path("bench/bare", BareView.as_view()), path("", include("qms.urls"))]


def rate(client, url: str, seconds: float, headers: dict) -> tuple[float, int]:
    """Requests per second of GET `url` for `seconds` (after a warm-up), and how many were made."""
    for _ in range(5):
        assert client.get(url, **headers).status_code == 200
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        response = client.get(url, **headers)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:200]!r}")
        done += 1
    return done / (time.perf_counter() - start), done
