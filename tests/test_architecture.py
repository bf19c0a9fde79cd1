"""Which way the imports point (STYLE.md, "Which way the arrows point"), checked on the source.

Every import counts, also one placed inside a function: an import moved into a function to dodge a
circle is the circle, still there. Three rules:

1. An app imports only the apps below it (``LAYERS``) and the siblings ``SIBLINGS`` names.
2. An app reaches another app only through its front door (``PUBLIC``): models, services,
   selectors, rules and errors; for accounts also the scope of a user and the scoped admin base.
   The web shell may also mount routers and views.
3. No module imports, directly or through others, a module that imports it back; the one pair
   allowed is the notifications queue and its worker (``ALLOWED_CYCLES``).
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "xiangzhi"

# Bottom to top: each layer may import the layers under it.
LAYERS = [
    {"lib"},
    {"core"},
    {"audit"},  # the audit trail: every app above records into it
    {"keyring"},  # the data keys: finds every app's encrypted columns through the app registry, imports none
    {"regions", "accounts"},
    {"configuration"},  # settings with township overrides and the history of every configuration change
    {"people", "duties"},  # duties: the three lists (三张清单); cases reads them to route
    {"notifications", "triage"},  # triage: the category suggester, on plain text and a catalog it is handed
    {"cases", "gridwork", "points", "party", "inspections"},  # party: branches and groups on people and grids
    {"shop", "activities", "devices", "open311", "projects"},  # projects: village requests, plans, funded works
    {"assessment", "participation", "disclosure",  # read cases, points, grid work, inspections by their selectors
     "meetings",  # 阳光报告会 and 四议两公开: read projects and points through their selectors
     "supervision"},  # 一村一码: 码上问, 码上办 through cases' intake, the village codes
    {"backups"},  # 备份与恢复: reads every app's tables and the ledger; the shell schedules it, shows its alert
    {"front", "system", "demo", "xiangzhi"},  # the web shell, the API root and the command line
    {"centre"},  # 指挥中心: reads every app through its selectors; only the URL and API roots mount it
]
# Imports within one layer that STYLE.md allows.
SIBLINGS = {
    ("regions", "accounts"), ("accounts", "regions"),  # the custom user points at regions
    ("cases", "points"),  # a case closed on a villager's report awards points
    ("gridwork", "cases"),  # a worker's day counts the cases of their grids
    ("meetings", "supervision"),  # a sunshine meeting takes up the quarter's 码上问 questions
    ("front", "system"), ("system", "front"), ("xiangzhi", "front"), ("xiangzhi", "system"), ("demo", "system"),
    ("xiangzhi", "demo"), ("front", "demo"), ("system", "demo"), ("demo", "front"),
    ("xiangzhi", "centre"),  # the URL and API roots mount the command centre's pages and routers
}
SHELL = {"front", "system", "demo", "xiangzhi"}
PUBLIC = {"models", "services", "selectors", "rules", "errors"}
PUBLIC_EXTRA = {"accounts": {"scope", "admin_scope"},
                "cases": {"progress"},  # what a reporter sees of his case: 码上办's follow page shows it too
                "triage": {"suggester"}}  # the suggester's plain types and ``suggest``: its whole front door
SHELL_ENTRIES = {"api", "views", "urls", "templatetags", "management"}
ALLOWED_CYCLES = [{"xiangzhi.notifications.services", "xiangzhi.notifications.tasks"}]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if "migrations" in parts or "tests" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every xiangzhi module ``name`` imports, wherever in the file the import stands."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        else:
            continue
        for target in targets:
            if target in MODULES and target != name:
                out.add(target)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else "xiangzhi"


def _layer(app: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if app in layer)


def _part(module: str) -> str:
    """The module's place inside its app: ``xiangzhi.points.services`` → ``services``."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 else ""


def test_every_app_has_a_layer():
    apps = {_app(m) for m in MODULES}
    assert apps <= set().union(*LAYERS), sorted(apps - set().union(*LAYERS))


def test_apps_import_only_downwards():
    wrong = []
    for module, targets in GRAPH.items():
        app = _app(module)
        for target in targets:
            other = _app(target)
            if other == app or _layer(other) < _layer(app) or (app, other) in SIBLINGS:
                continue
            wrong.append(f"{module} → {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_nothing_imports_the_command_centre():
    """The centre stands on every app; were any to lean on it, its figures would turn into a kernel."""
    wrong = [f"{module} → {target}" for module, targets in GRAPH.items() for target in targets
             if _app(target) == "centre" and _app(module) not in {"centre", "xiangzhi"}]
    assert not wrong, "\n".join(sorted(wrong))


def test_apps_meet_through_the_front_door():
    wrong = []
    for module, targets in GRAPH.items():
        app = _app(module)
        for target in targets:
            other = _app(target)
            part = _part(target)
            if other == app or other in {"lib", "core", "xiangzhi"} or not part:
                continue
            if part in PUBLIC or part in PUBLIC_EXTRA.get(other, ()):
                continue
            if app in SHELL and (part in SHELL_ENTRIES or part.endswith(("_api", "_views"))):
                continue  # the shell mounts every app's routers and pages
            wrong.append(f"{module} → {target}")
    assert not wrong, "\n".join(sorted(wrong))


def _cycles() -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles():
    circles = [sorted(c) for c in _cycles() if c not in ALLOWED_CYCLES]
    assert not circles, "\n".join(" ↔ ".join(c) for c in circles)


# Imports that must wait: the queue's worker module registers tasks with the queue at import time,
# and an app's ``ready()`` runs once the registry is complete.
LATE_IMPORTS_ALLOWED = {("xiangzhi.notifications.services", "xiangzhi.notifications.tasks"),
                        # the logging handler is built while settings load, before any model may be imported
                        ("xiangzhi.system.log", "xiangzhi.system.services")}


def test_imports_stand_at_the_top():
    late = []
    for name, path in MODULES.items():
        if path.name == "apps.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if (isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("xiangzhi")
                        and (name, inner.module) not in LATE_IMPORTS_ALLOWED):
                    late.append(f"{name}:{inner.lineno} {inner.module}")
    assert not late, "\n".join(sorted(late))


def test_the_checker_sees_imports_inside_functions():
    # ``accounts.scope`` imports the user model at the top; the checker must see a nested import
    # the same way, or the circle rule would pass by looking away.
    nested = defaultdict(set)
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("xiangzhi."):
                        nested[name].add(inner.module)
    for name, targets in nested.items():
        assert {t for t in targets if t in MODULES} <= GRAPH[name]
