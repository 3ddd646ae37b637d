"""Import throughput and memory: deviations and small PDF documents, at 1x and 5x the rows.

    .venv/bin/python bench/imports.py                         # 10,000 deviations + 2,000 PDFs, then 5x
    .venv/bin/python bench/imports.py --deviations 2000 --documents 400 --scales 1,5

Each scale runs in a fresh Python process on a fresh temporary SQLite database (migrated like
production, DEBUG off, no broker: the outbox keeps the queued text extraction), writes the legacy
files (a deviations CSV; a manifest and small distinct PDFs), then runs the real commands
(`import_deviations`, `import_documents`, through every service, audit and event as in production)
and prints rows per second, the process's peak resident memory and how much it grew while
importing. The import streams its input and commits in batches, so memory must not grow with the
number of rows: compare the growth at 1x and 5x.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def write_files(folder: Path, deviations: int, documents: int) -> tuple[Path, Path]:
    from reportlab.pdfgen import canvas

    areas = ["Packaging", "Warehouse", "QC laboratory", "Utilities"]
    categories = ["Equipment", "Process", "Materials", "Documentation"]
    severities = ["Low", "Medium", "High", "Critical"]
    states = ["Open", "In Work", "Closed", "Closed"]
    dev_path = folder / "deviations.csv"
    with open(dev_path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["legacy_number", "title", "description", "occurred_at", "reported_on", "area", "category", "severity",
             "immediate_action", "state", "closed_on"]
        )  # fmt: skip
        for n in range(deviations):
            state = states[n % 4]
            writer.writerow(
                [f"LEG-{n:06d}", f"Legacy deviation {n}", f"Description of legacy deviation {n}. " * 3, "2020-01-15",
                 "2020-01-16", areas[n % 4], categories[n % 4], severities[n % 4], "Contained.", state,
                 "2020-03-01" if state == "Closed" else ""]
            )  # fmt: skip
    docs = folder / "documents"
    (docs / "files").mkdir(parents=True)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    pdf.drawString(72, 760, "Legacy SOP (benchmark)")
    pdf.save()
    base = buffer.getvalue()
    manifest = docs / "manifest.csv"
    with open(manifest, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["number", "title", "type", "version", "state", "effective_date", "approved_by", "approved_on", "file"])
        for n in range(documents):
            name = f"files/SOP-{n + 1:05d}.pdf"
            (docs / name).write_bytes(base + f"%bench {n}\n".encode())  # distinct checksums
            writer.writerow(
                [f"SOP-{n + 1:05d}", f"Legacy SOP {n}", "SOP", "1.0", "effective", "2020-01-01", "J. Smith", "2019-12-20", name]
            )
    return dev_path, manifest


def measure(workdir: str, deviations: int, documents: int) -> dict:
    """In a fresh process: a fresh database, the files, the two imports; figures as a dict."""
    sys.path.insert(0, str(ROOT / "bench"))
    import harness

    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    harness.configure(database_url=os.environ["DATABASE_URL"])
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.tests.factories import UserFactory

    UserFactory(role_name="Admin", username="bench-admin")
    dev_path, manifest = write_files(Path(workdir), deviations, documents)
    figures = {}
    for name, command, path, options in (
        ("deviations", "import_deviations", dev_path, {"state_map": "Open=reported,In Work=under_investigation,Closed=closed"}),
        ("documents", "import_documents", manifest, {"files": str(manifest.parent)}),
    ):
        rows = deviations if name == "deviations" else documents
        baseline = current_rss_mb()
        started = time.perf_counter()
        call_command(command, str(path), actor="bench-admin", no_progress=True, batch_size=100, stdout=io.StringIO(), **options)
        seconds = time.perf_counter() - started
        figures[name] = {
            "rows": rows,
            "seconds": round(seconds, 1),
            "rows_per_second": round(rows / seconds, 1),
            "rss_before_mb": round(baseline, 1),
            "rss_after_mb": round(current_rss_mb(), 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deviations", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=2_000)
    parser.add_argument("--scales", default="1,5", help="comma-separated multiples of the row counts")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        workdir, deviations, documents = args.measure
        print(json.dumps(measure(workdir, int(deviations), int(documents))))
        return 0
    results = []
    for scale in (int(s) for s in args.scales.split(",")):
        workdir = tempfile.mkdtemp(prefix="qms-bench-imports-")
        deviations, documents = args.deviations * scale, args.documents * scale
        print(f"scale {scale}x: {deviations} deviations, {documents} documents (in {workdir}) ...", flush=True)
        output = subprocess.run(
            [sys.executable, __file__, "--measure", workdir, str(deviations), str(documents)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        results.append((scale, figures))
        for name, f in figures.items():
            print(
                f"  {name:10} {f['rows']:>7} rows  {f['seconds']:>7.1f} s  {f['rows_per_second']:>7.1f} rows/s  "
                f"RSS {f['rss_before_mb']:.0f} -> {f['rss_after_mb']:.0f} MB  (peak {f['peak_rss_mb']:.0f} MB)"
            )
    if len(results) > 1:
        first, last = results[0][1], results[-1][1]
        for name in first:
            growth_first = first[name]["rss_after_mb"] - first[name]["rss_before_mb"]
            growth_last = last[name]["rss_after_mb"] - last[name]["rss_before_mb"]
            print(
                f"{name}: RSS growth while importing {growth_first:.0f} MB at {results[0][0]}x, "
                f"{growth_last:.0f} MB at {results[-1][0]}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
