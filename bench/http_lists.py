"""The list endpoints through a real web server: gunicorn (2 sync workers) and a load generator.

Prepares the database like bench/api_lists.py (migrated, filled once), starts gunicorn on a free
port on 127.0.0.1 with the product's settings (DEBUG off) plus the bare authenticated DRF view, and
drives each list (?page_size=20) and the bare view with `wrk` (Debian package `wrk`) for a few
seconds each, a few connections at a time. Prints requests per second, median and 95th percentile
latency, and each list's rate as a percentage of the bare view's. Only loopback traffic; gunicorn
is stopped at the end.

    .venv/bin/python bench/http_lists.py --database-url postgres://postgres@127.0.0.1:5432/qms_bench
    .venv/bin/python bench/http_lists.py --database-url ... --seconds 10 --connections 8 --conn-max-age 60

Without --database-url it uses a temporary SQLite database (PostgreSQL is what production runs).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import api_lists  # noqa: E402 (the data and settings of the in-process bench)

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("QMS p50=%d p95=%d p99=%d requests=%d errors=%d non2xx=%d\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, headers: dict, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url} within {timeout:.0f} s")


def run_wrk(url: str, token: str, seconds: float, connections: int, script: str) -> dict:
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        script,
        "-H",
        f"Authorization: Bearer {token}",
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    figures = re.search(r"QMS p50=(\d+) p95=(\d+) p99=(\d+) requests=(\d+) errors=(\d+) non2xx=(\d+)", output)
    if not rate or not figures:
        raise SystemExit(f"Unexpected wrk output:\n{output}")
    p50, p95, p99, requests, errors, non2xx = (int(x) for x in figures.groups())
    if errors or non2xx:
        raise SystemExit(f"{url}: {errors} connection errors and {non2xx} non-2xx answers of {requests}")
    return {"rate": float(rate.group(1)), "p50": p50 / 1000, "p95": p95 / 1000, "p99": p99 / 1000, "requests": requests}


def main() -> int:
    parser = api_lists.data_arguments(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="load per endpoint")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--conn-max-age", type=int, default=None, help="DB_CONN_MAX_AGE for the server (default: unset, a connection per request)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("This bench needs the load generator wrk: apt-get install wrk")

    scratch = tempfile.TemporaryDirectory(prefix="qms-http-bench-")
    api_lists.setup_django(args.database_url or f"sqlite:///{scratch.name}/bench.sqlite3")
    from django.conf import settings

    api_lists.ensure_data(args.documents, args.users)
    token = api_lists.auth_headers()["HTTP_AUTHORIZATION"].split(" ", 1)[1]
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(api_lists.MAIN_LISTS)
    targets = [(name, api_lists.LISTS[name] + "?page_size=20") for name in names]

    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(api_lists.ROOT), str(BENCH), environment.get("PYTHONPATH", "")])
    if args.conn_max_age is not None:
        environment["DB_CONN_MAX_AGE"] = str(args.conn_max_age)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "qms.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={args.workers}",
            "--worker-class=sync",
            "--log-level=warning",
            f"--chdir={api_lists.ROOT}",
        ],
        env=environment,
    )
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    try:
        headers = {"Authorization": f"Bearer {token}"}
        wait_until_serving(base + api_lists.BARE, headers, server)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT)
        print(
            f"gunicorn, {args.workers} sync workers, {engine}, DEBUG off, DB_CONN_MAX_AGE="
            f"{environment.get('DB_CONN_MAX_AGE', '0')}; wrk with {args.connections} connections, "
            f"{args.seconds:g} s per endpoint"
        )
        print(f"{'endpoint':<34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'% of bare':>10}")
        for url in (base + api_lists.BARE, *(base + path for _, path in targets)):
            run_wrk(url, token, 1, args.connections, script.name)  # warm both workers up
        bare_runs = [run_wrk(base + api_lists.BARE, token, args.seconds, args.connections, script.name)]
        rows = []
        for name, path in targets:
            figures = run_wrk(base + path, token, args.seconds, args.connections, script.name)
            bare_runs.append(run_wrk(base + api_lists.BARE, token, args.seconds, args.connections, script.name))
            # Against the bare view measured right before and right after it (the machine's load drifts).
            figures["share"] = figures["rate"] / ((bare_runs[-2]["rate"] + bare_runs[-1]["rate"]) / 2) * 100
            rows.append((f"{name} ({path.split('?')[0]})", figures))
        for number, figures in enumerate(bare_runs, 1):
            rows.insert(number - 1, (f"bare authenticated DRF view ({number})", figures))
        for label, figures in rows:
            share = f"{figures['share']:9.1f}%" if "share" in figures else ""
            print(
                f"{label:<34} {figures['rate']:>8.1f} {figures['p50']:>8.1f} {figures['p95']:>8.1f} "
                f"{figures['p99']:>8.1f} {share:>10}"
            )
        os.unlink(script.name)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
