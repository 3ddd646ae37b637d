"""The audit app depends on the project package only: every other app builds on it, never the reverse."""

import ast
from pathlib import Path

AUDIT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"accounts", "workflows", "documents", "training", "deviations", "capa", "notifications", "search", "dashboard"}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_audit_code_imports_no_other_app():
    offenders = {
        str(path.relative_to(AUDIT)): sorted(_imported_packages(path) & FORBIDDEN)
        for path in AUDIT.rglob("*.py")
        if "tests" not in path.parts and _imported_packages(path) & FORBIDDEN
    }
    assert offenders == {}
