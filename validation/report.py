"""The traceability matrix: requirements of the catalogue → the tests of a JUnit run that name them
(`<property name="requirement">`, written by validation.pytest_plugin) → their results.

A requirement is PASS when its tests ran and none failed, FAIL when one failed or errored, NOT RUN
when all of them were skipped, and a GAP when no test of the run names it.
"""

from __future__ import annotations

import datetime
import hashlib
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .catalogue import Requirement

PASS, FAIL, NOT_RUN, GAP = "PASS", "FAIL", "NOT RUN", "GAP"


class JUnitError(ValueError):
    pass


@dataclass
class TestResult:
    name: str  # "accounts.tests.test_x::test_y"
    outcome: str  # passed, failed, error, skipped
    requirements: list[str]
    seconds: float = 0.0
    message: str = ""


@dataclass
class Row:
    requirement: Requirement
    status: str
    tests: list[TestResult] = field(default_factory=list)


@dataclass
class ValidationReport:
    generated_at: datetime.datetime
    product_version: str
    commit: str
    junit_file: str
    junit_sha256: str
    rows: list[Row]
    totals: dict[str, int]
    unknown: list[tuple[str, str]]  # (test, requirement id not in the catalogue)

    @property
    def failed_rows(self) -> list[Row]:
        return [row for row in self.rows if row.status == FAIL]

    @property
    def gaps(self) -> list[Row]:
        return [row for row in self.rows if row.status == GAP]

    def summary(self) -> dict[str, int]:
        counts = {status: 0 for status in (PASS, FAIL, NOT_RUN, GAP)}
        for row in self.rows:
            counts[row.status] += 1
        return counts

    def as_dict(self) -> dict:
        return {
            "generated_at": self.generated_at.isoformat(),
            "product_version": self.product_version,
            "commit": self.commit,
            "junit_file": self.junit_file,
            "junit_sha256": self.junit_sha256,
            "totals": self.totals,
            "summary": self.summary(),
            "unknown": [list(pair) for pair in self.unknown],
            "rows": [
                {"requirement": asdict(row.requirement), "status": row.status, "tests": [asdict(t) for t in row.tests]}
                for row in self.rows
            ],
        }


def read_junit(path: str | Path) -> list[TestResult]:
    """Every test case of a JUnit XML file (pytest's xunit2), with its requirement properties."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise JUnitError(f"Cannot read the JUnit file {path}: {exc}") from exc
    results = []
    for case in root.iter("testcase"):
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            element = case.find(tag)
            if element is not None:
                outcome = {"failure": "failed"}.get(tag, tag)
                message = (element.get("message") or "")[:500]
                break
        requirements = [p.get("value", "") for p in case.iter("property") if p.get("name") == "requirement"]
        results.append(
            TestResult(
                name=f"{case.get('classname', '')}::{case.get('name', '')}",
                outcome=outcome,
                requirements=list(dict.fromkeys(r for r in requirements if r)),
                seconds=float(case.get("time") or 0),
                message=message,
            )
        )
    if not results:
        raise JUnitError(f"The JUnit file {path} holds no test case.")
    return results


def _status(tests: list[TestResult]) -> str:
    if not tests:
        return GAP
    if any(t.outcome in ("failed", "error") for t in tests):
        return FAIL
    if all(t.outcome == "skipped" for t in tests):
        return NOT_RUN
    return PASS


def product_commit() -> str:
    """QMS_COMMIT (set in images built without .git), else the checkout's HEAD, else "unknown"."""
    if settings.QMS_COMMIT:
        return settings.QMS_COMMIT
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = result.stdout.strip()
    if result.returncode != 0 or not commit:
        return "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=settings.BASE_DIR, capture_output=True, text=True, check=False)
    return commit + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def build(*, requirements: list[Requirement], junit_path: str | Path) -> ValidationReport:
    from qms import __version__

    results = read_junit(junit_path)
    known = {r.id for r in requirements}
    by_requirement: dict[str, list[TestResult]] = {r.id: [] for r in requirements}
    unknown = []
    for result in results:
        for requirement in result.requirements:
            if requirement in known:
                by_requirement[requirement].append(result)
            else:
                unknown.append((result.name, requirement))
    totals = {"tests": len(results), "traced": sum(1 for r in results if r.requirements)}
    for outcome in ("passed", "failed", "error", "skipped"):
        totals[outcome] = sum(1 for r in results if r.outcome == outcome)
    data = Path(junit_path).read_bytes()
    return ValidationReport(
        generated_at=timezone.now(),
        product_version=__version__,
        commit=product_commit(),
        junit_file=str(junit_path),
        junit_sha256=hashlib.sha256(data).hexdigest(),
        rows=[Row(r, _status(by_requirement[r.id]), by_requirement[r.id]) for r in requirements],
        totals=totals,
        unknown=unknown,
    )
