"""The apps depend on each other in one direction only: a module imports the project package and
the apps below it, never an app above it, and no two apps import each other (directly or through
others). Checked on the source (every import statement, also those inside functions), so a new
module or app is covered without being listed here.

Order, lowest first: `qms` (project plumbing) ← `audit` ← `accounts` ← `workflows` ← `documents`
← the record modules (training, deviations, CAPA, …) ← imports (loads legacy data through every
record module's services) ← cross-cutting read models (search,
notifications, dashboard). `qms/urls.py` wires the apps together by name (`include("app.urls")`),
not by import. Tests and migrations are not checked.
"""

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)

LAYERS = [
    "qms",
    "audit",
    "accounts",
    "workflows",
    "documents",
    "training",
    "forms",
    "deviations",
    "capa",
    "imports",
    "search",
    "ai",
    "notifications",
    "dashboard",
]


def project_apps() -> list[str]:
    return [config.name for config in apps.get_app_configs() if Path(config.path).resolve().parent == BASE_DIR.resolve()]


def rank(app: str) -> int:
    # An app not in LAYERS is at the top: it may import every listed app, and none of them may import it.
    return LAYERS.index(app) if app in LAYERS else len(LAYERS)


def imports_of(app: str):
    """(file, imported module) for every absolute import of another project app in `app`'s code."""
    names = set(project_apps())
    for path in sorted((BASE_DIR / app).rglob("*.py")):
        relative = path.relative_to(BASE_DIR).as_posix()
        parts = path.relative_to(BASE_DIR).parts
        if "tests" in parts or "migrations" in parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in names and top != app:
                    yield relative, module


def test_every_project_app_is_found():
    assert {"qms", "accounts", "audit", "workflows", "documents"} <= set(project_apps())


def test_apps_import_only_the_apps_below_them():
    violations = []
    for app in project_apps():
        for path, module in imports_of(app):
            target = module.split(".")[0]
            if rank(target) >= rank(app):
                violations.append(f"{path} imports {module} ({app} may not depend on {target})")

    assert violations == []


def test_there_are_no_import_cycles_between_apps():
    graph: dict[str, set[str]] = {app: set() for app in project_apps()}
    for app in graph:
        for _path, module in imports_of(app):
            graph[app].add(module.split(".")[0])

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start] - seen:
            if nxt == goal or reaches(nxt, goal, seen | {nxt}):
                return True
        return False

    cycles = sorted(app for app in graph if reaches(app, app, set()))
    assert cycles == []
