"""The package's import graph, read with `ast` (building it imports nothing): every module's imports, relative
ones resolved and those inside functions included, grouped into the AREAS below. The tests fail with the list of
offending imports (`file:line -> module`) when areas import each other round a cycle, when an import goes a way
RULES forbids, or when a module is dead: neither imported from app.py (directly or not) nor named by a Feature.
docs/architecture.md quotes AREAS and RULES; change them there too.
"""

import ast
import importlib.util
from collections import defaultdict
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.smoke

PACKAGE = "{{ cookiecutter.bank_slug }}"

# Module (relative to the package, "" = its __init__) -> area; a module is in the area of its longest prefix
# here. Each feature, `features.<name>`, is an area of its own. The top's modules are a node each: every
# feature and both shells import feature.py (the Feature contract), and app.py imports every feature.
AREAS = {
    "shared": "shared",  # pure helpers: masking, timeutil, i18n, money, cards, identity, logs, demo_data
    "db": "base", "extensions": "base", "settings": "base", "bank_profile": "base",
    "web": "web",  # language, security headers, captcha, health, errors
    "core_banking": "core_banking",  # port, built-in ledger, HTTP adapter and reference server
    "sms": "sms",
    "wechat": "wechat",  # the protocol only
    "outbox": "outbox",
    "ops": "ops",  # /readyz, /metrics
    "h5": "h5", "admin": "admin",  # the shells
    "features": "features",  # the namespace package; features.<name> -> "features.<name>"
    "sandbox": "sandbox",
    "app": "app", "cli": "cli", "feature": "feature", "wsgi": "wsgi", "": "__init__",  # the top
    "deploy_check": "cli",  # `flask check-deploy`, one of the top's commands
}


@dataclass(frozen=True)
class Rule:
    """`importers` may not import `forbidden` (areas, space-separated; "*" any, "features.*" any feature),
    except from the areas in `unless_from` or of the modules in `unless_to` (fnmatch patterns)."""

    importers: str
    forbidden: str
    why: str
    unless_from: str = ""
    unless_to: str = ""


# Imports within one area are never checked; "features.*" -> "features.*" is therefore another feature.
RULES = (
    Rule("core_banking", "wechat h5 admin features.* sandbox outbox", "the core knows nothing of the channel"),
    Rule("wechat", "features.* h5 admin sandbox outbox", "protocol only: features register on its router"),
    Rule("outbox", "features.* h5 admin sandbox", "the features register their notice topics with the outbox"),
    Rule("shared", "*", "the helpers under everything import nothing of ours"),
    Rule("features.*", "features.*", "a feature uses another only through its service module (not its __init__)",
         unless_to="features.*.service"),
    Rule("features.*", "sandbox app", "a feature runs the same with and without the sandbox; app installs it"),
    Rule("h5 admin", "features.*", "the shells find the features through feature.py, never by import"),
    Rule("*", "app", "the factory is the top: only the entry points import it", unless_from="wsgi __init__"),
)

# Imports that break a rule today, each with its reason; the test fails once one is gone, so the list shrinks.
KNOWN_VIOLATIONS: dict = {}

# Modules used by name or from outside rather than imported by the app: gunicorn's `<package>.wsgi:app`, the
# mock WeChat API's EXTRA_BLUEPRINTS (importlib), the core-banking reference server (a worked example for the
# bank's core team; the contract tests run the HTTP adapter against it), the SMS gateway's reference server.
ENTRY_POINTS = ("wsgi", "sandbox.simulator", "core_banking.http.server", "sms.gateway.server", "ops.db_ping")


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (the package when the name is not a module)
    line: int

    def describe(self) -> str:
        return f"{source_file(self.source)}:{self.line} -> {self.target or '__init__'}"


def package_dir() -> Path:
    return Path(importlib.util.find_spec(PACKAGE).origin).parent


@cache
def modules() -> dict[str, bool]:
    """Module name (relative to the package) -> whether it is a package."""
    found = {}
    for path in sorted(package_dir().rglob("*.py")):
        parts = path.relative_to(package_dir()).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = is_package
    return found


def source_file(module: str) -> str:
    path = module.replace(".", "/")
    if modules()[module]:
        return f"{path}/__init__.py" if path else "__init__.py"
    return f"{path}.py"


def module_path(module: str) -> Path:
    return package_dir() / source_file(module)


def join(*parts: str) -> str:
    return ".".join(part for part in parts if part)


def resolved_base(module: str, node: ast.ImportFrom) -> str | None:
    """The module `from X import ...` names, relative to the package; None when it is not ours."""
    if node.level == 0:
        name = node.module or ""
        return name.removeprefix(PACKAGE).removeprefix(".") if name.split(".")[0] == PACKAGE else None
    parts = module.split(".") if module else []
    if not modules()[module]:
        parts = parts[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return join(*parts, node.module or "")


def imports_of(module: str) -> list[Import]:
    found = []
    for node in ast.walk(ast.parse(module_path(module).read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (base := resolved_base(module, node)) is not None:
            for alias in node.names:
                name = join(base, alias.name)
                found.append(Import(module, name if name in modules() else base, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    found.append(Import(module, alias.name.removeprefix(PACKAGE).removeprefix("."), node.lineno))
    return found


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(dict.fromkeys(found for module in modules() for found in imports_of(module)))


def area(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "features" and len(parts) > 1:
        return f"features.{parts[1]}"
    prefixes = [prefix for prefix in AREAS if module == prefix or module.startswith(prefix + ".")]
    return AREAS[max(prefixes, key=len)] if prefixes else None


def crossing() -> list[Import]:
    """The imports from one area into another."""
    return [found for found in all_imports() if area(found.source) != area(found.target)]


def matches(name: str, patterns: str) -> bool:
    return any(fnmatch(name, pattern) for pattern in patterns.split())


def breaks(rule: Rule, found: Import) -> bool:
    source, target = area(found.source), area(found.target)
    return (matches(source, rule.importers) and matches(target, rule.forbidden)
            and not matches(source, rule.unless_from) and not matches(found.target, rule.unless_to))


def violations() -> dict[Rule, list[Import]]:
    broken = defaultdict(list)
    for found in crossing():
        for rule in RULES:
            if breaks(rule, found) and (found.source, found.target) not in KNOWN_VIOLATIONS:
                broken[rule].append(found)
    return broken


def area_graph() -> dict[str, set[str]]:
    graph = defaultdict(set)
    for found in crossing():
        graph[area(found.source)].add(area(found.target))
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for successor in graph.get(todo.pop(), ()):
            if successor not in seen:
                seen.add(successor)
                todo.append(successor)
    return seen


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The areas that reach each other, one set per strongly connected group of two or more."""
    reach = {node: reachable(graph, node) for node in graph}
    groups = {frozenset(other for other in reach if node in reach[other] and other in reach[node]) for node in reach}
    return [set(group) for group in groups if len(group) > 1]


def test_every_module_has_an_area():
    assert [module for module in modules() if area(module) is None] == [], "add the module's area to AREAS"


def shortest_cycle(graph: dict[str, set[str]], start: str) -> list[str]:
    """The shortest path from `start` back to itself (breadth first), as the list of its areas."""
    paths, todo = {start: [start]}, [start]
    while todo:
        node = todo.pop(0)
        for successor in sorted(graph.get(node, ())):
            if successor == start:
                return paths[node]
            if successor not in paths:
                paths[successor] = [*paths[node], successor]
                todo.append(successor)
    return []


def describe_cycle(path: list[str], most: int = 3) -> list[str]:
    lines = [" -> ".join([*path, path[0]]) + ":"]
    for source, target in zip(path, [*path[1:], path[0]], strict=True):
        imports = [found for found in crossing() if (area(found.source), area(found.target)) == (source, target)]
        lines += [f"  {found.describe()}" for found in imports[:most]]
        lines += [f"  ... and {len(imports) - most} more {source} -> {target}"] if len(imports) > most else []
    return lines


def test_no_cycle_between_areas():
    graph, report, seen = area_graph(), [], set()
    for group in cycles(graph):
        for node in sorted(group):
            path = shortest_cycle(graph, node)
            if frozenset(zip(path, [*path[1:], path[0]], strict=True)) not in seen:
                seen.add(frozenset(zip(path, [*path[1:], path[0]], strict=True)))
                report += describe_cycle(path)
    assert not report, "areas import each other round a cycle:\n" + "\n".join(report)


def test_imports_follow_the_rules():
    report = []
    for rule, imports in violations().items():
        report.append(f"{rule.importers} may not import {rule.forbidden} ({rule.why}):")
        report += [f"  {found.describe()}" for found in imports]
    assert not report, "\n".join(report)


def test_known_violations_still_exist():
    present = {(found.source, found.target) for found in all_imports()}
    gone = [pair for pair in KNOWN_VIOLATIONS if pair not in present]
    assert gone == [], "fixed: remove these from KNOWN_VIOLATIONS"


def test_the_rules_name_real_areas():
    areas = set(AREAS.values()) | {"features.*", "*"}
    named = {name for rule in RULES for name in f"{rule.importers} {rule.forbidden} {rule.unless_from}".split()}
    assert named <= areas


@pytest.mark.parametrize(("source", "target"), [
    ("core_banking.port", "wechat.client"),
    ("core_banking.ledger.posting", "features.alerts.outbox"),
    ("wechat.router", "features.info.help"),
    ("shared.money", "web.language"),
    ("features.alerts.h5", "features.binding.models"),
    ("features.alerts.h5", "features.binding"),
    ("features.menu.service", "sandbox.run"),
    ("h5.views", "features.binding.service"),
    ("admin.dashboard", "features.alerts.dashboard"),
    ("cli", "app"),
])
def test_the_rules_catch(source, target):
    assert any(breaks(rule, Import(source, target, 1)) for rule in RULES)


@pytest.mark.parametrize(("source", "target"), [
    ("features.alerts.h5", "features.binding.service"),
    ("features.alerts.h5", "admin.base"),
    ("sandbox.run", "features.menu.service"),
    ("wsgi", "app"),
    ("core_banking.ledger.posting", "core_banking.outbox"),
])
def test_the_rules_allow(source, target):
    assert not any(breaks(rule, Import(source, target, 1)) for rule in RULES)


def test_a_cycle_is_found():
    graph = {"web": {"base"}, "base": {"shared", "sms"}, "sms": {"web"}, "shared": set()}
    assert cycles(graph) == [{"web", "base", "sms"}]


# Dead modules ---------------------------------------------------------------------------------------------------

def feature_modules() -> set[str]:
    """The modules the installed features name (feature.py imports them by name when it installs them)."""
    from importlib import import_module

    features = import_module(f"{PACKAGE}.app").FEATURES
    named = set()
    for feature in features:
        base = feature.package.removeprefix(PACKAGE + ".")
        references = (*feature.models, *feature.chat, *feature.h5, *feature.admin, *feature.dashboard,
                      *feature.cli, *feature.blueprints, *feature.setup, *feature.seed_demo)
        named.add(base)
        named |= {join(base, reference.rpartition(" ")[2].partition(":")[0].lstrip(".")) for reference in references}
    return named


def with_parents(names: set[str]) -> set[str]:
    """Importing a.b.c runs a and a.b first."""
    return {join(*name.split(".")[:i]) for name in names for i in range(len(name.split(".")) + 1)}


def live_modules() -> set[str]:
    graph = defaultdict(set)
    for found in all_imports():
        graph[found.source].add(found.target)
    roots = {"", "app", *ENTRY_POINTS} | feature_modules()
    live = set()
    while not roots <= live:
        live |= roots
        roots = with_parents(live | {target for module in live for target in reachable(graph, module)})
    return live


def test_no_dead_modules():
    assert set(feature_modules()) <= set(modules()), "a Feature names a module that does not exist"
    dead = sorted(source_file(module) for module in set(modules()) - live_modules())
    assert dead == [], "neither imported from app.py nor named by a Feature (nor in ENTRY_POINTS):\n" + "\n".join(dead)
