"""The layering rules of ARCHITECTURE.md, read from the code's own imports (every ``import`` statement, at module
level or inside a function), so a new arrow that runs back up a layer fails here, not in review.

- ``sources/`` imports neither Dagster nor ``pipelines``/``assets``/``expectations``.
- An agency package (``sources/<agency>/``) imports only ``sources.core`` and itself: never another agency, never
  the indicator configuration.
- ``assets/`` never imports ``pipelines`` (the code location assembles assets, not the reverse).
- No import cycles between the project's modules.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from assets.settings import PROJECT_ROOT

PACKAGES = ("sources", "assets", "pipelines", "expectations")
SHARED_SOURCE_PACKAGES = ("sources.core",)
# Modules of sources/ that are not an agency: configuration readers any asset may use.
SOURCE_CONFIG_MODULES = ("sources.indicator_config", "sources.geo_config")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """module -> every module it imports (absolute names; relative imports resolved)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            module = _module_name(path)
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    graph[module].update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom):
                    if node.level:
                        base = module.split(".")
                        is_package = path.name == "__init__.py"
                        base = base[: len(base) - node.level + (1 if is_package else 0)]
                        target = ".".join([*base, node.module] if node.module else base)
                    else:
                        target = node.module or ""
                    graph[module].add(target)
                    graph[module].update(f"{target}.{alias.name}" for alias in node.names)
            graph.setdefault(module, set())
    return graph


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _agency(module: str) -> str | None:
    """``sources.cdc_places.parse`` -> ``sources.cdc_places``; None for core, config modules and ``sources``."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "sources":
        return None
    package = ".".join(parts[:2])
    if package in SHARED_SOURCE_PACKAGES or package in SOURCE_CONFIG_MODULES or package == "sources.__init__":
        return None
    return package


GRAPH = _imports()
PROJECT_MODULES = set(GRAPH)


def test_sources_import_no_dagster_and_nothing_above_them() -> None:
    offenders = sorted(
        f"{module} imports {name}"
        for module, names in GRAPH.items()
        if _within(module, "sources")
        for name in names
        if any(_within(name, banned) for banned in ("dagster", "dagster_duckdb", "pipelines", "assets", "expectations"))
    )
    assert offenders == []


def test_agency_packages_import_only_the_core_and_themselves() -> None:
    agencies = {_agency(m) for m in GRAPH} - {None}
    assert {
        "sources.census_api",
        "sources.cdc_places",
        "sources.cdc_svi",
        "sources.hud_chas",
        "sources.wa_doh",
    } <= agencies
    offenders = []
    for module, names in GRAPH.items():
        own = _agency(module)
        if own is None:
            continue
        for name in names:
            if not _within(name, "sources"):
                continue
            if _within(name, own) or any(_within(name, shared) for shared in SHARED_SOURCE_PACKAGES):
                continue
            offenders.append(f"{module} imports {name}")
    assert offenders == [], "an agency module may import only sources.core and its own package"


def test_assets_never_import_the_code_location() -> None:
    offenders = sorted(
        f"{module} imports {name}"
        for module, names in GRAPH.items()
        if _within(module, "assets")
        for name in names
        if _within(name, "pipelines")
    )
    assert offenders == []


def test_no_import_cycles_between_project_modules() -> None:
    """Tarjan's strongly connected components over module -> imported project module (a package's ``__init__``
    re-exporting its own submodules is not a cycle: edges from a package into itself are left out)."""
    edges: dict[str, set[str]] = {}
    for module, names in GRAPH.items():
        targets = set()
        for name in names:
            # the longest project module the name refers to (``sources.core.files.SourceFile`` -> ``sources.core.files``)
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in PROJECT_MODULES:
                    targets.add(candidate)
                    break
        edges[module] = {t for t in targets if t != module and not _within(t, module)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert cycles == []


def test_the_rules_see_real_imports() -> None:
    """Guard against a parser that sees nothing: known arrows are in the graph."""
    assert "census" in GRAPH["sources.census_api.fetch"]
    assert "sources.core.files" in GRAPH["assets.resources"]
    assert any(_within(n, "dagster") for n in GRAPH["assets.resources"])
