"""The house: vidstyle's packages are floors, and imports go down, never up, and never round in a circle.

Read from the source with `ast`: every import statement counts, those inside functions (imported when called)
and under TYPE_CHECKING too, since each says that one module needs another.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

# Low to high: a module may import its own floor's modules and those below, never one above.
LAYERS = ("core", "media", "nets", "flow", "shots", "temporal", "backends", "settings", "jobs", "scale", "cli")
MAX_LINES = 500


def modules(package: Path) -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its __init__'s)."""
    found = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(package: Path) -> dict[str, set[str]]:
    """Each module's imports of the package's own modules: `from a.b import c` names a.b.c where that is a
    module, else a.b."""
    mods = modules(package)
    top = package.name

    def module_of(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        here = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")[:len(here.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            for target in targets:
                if target == top or target.startswith(top + "."):
                    found = module_of(target)
                    if found and found != mod:
                        edges[mod].add(found)
    return edges


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Imports from a floor to a higher one, and modules on no floor."""
    problems = []
    for mod, targets in sorted(edges.items()):
        if mod.count(".") == 0:  # the package's own __init__: imports nothing of it (below)
            problems += [f"{mod} imports {t}" for t in sorted(targets)]
            continue
        floor = layer_of(mod)
        if floor not in LAYERS:
            problems.append(f"{mod} is on no floor: move it into one of {', '.join(LAYERS)}")
            continue
        for target in sorted(targets):
            to = layer_of(target)
            if to not in LAYERS or LAYERS.index(to) > LAYERS.index(floor):
                problems.append(f"{mod} ({floor}) imports {target} ({to}), a floor above")
    return problems


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_imports_go_down_the_floors_and_never_round_in_a_circle():
    edges = imports(ROOT / "vidstyle")
    assert len(edges) > 50 and sum(map(len, edges.values())) > 200  # it read the real tree
    assert upward(edges) == []
    assert circles(edges) == []


def test_no_module_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "vidstyle").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_check_finds_an_upward_import_and_a_circle(tmp_path):
    """The checks themselves, on a small package that breaks both rules, once by a lazy import."""
    pkg = tmp_path / "vidstyle"
    for name, text in {
        "__init__.py": "",
        "core/__init__.py": "",
        "core/errors.py": "def f():\n    from vidstyle.jobs.run import g\n",  # lazy, and upward
        "media/__init__.py": "",
        "media/a.py": "from vidstyle.media import b\n",
        "media/b.py": "from . import a\nfrom vidstyle.core.errors import f\n",  # a circle, and a downward import
        "jobs/__init__.py": "",
        "jobs/run.py": "def g():\n    pass\n",
        "loose.py": "",
    }.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text)
    edges = imports(pkg)
    assert edges["vidstyle.media.b"] == {"vidstyle.media.a", "vidstyle.core.errors"}
    assert upward(edges) == ["vidstyle.core.errors (core) imports vidstyle.jobs.run (jobs), a floor above",
                             f"vidstyle.loose is on no floor: move it into one of {', '.join(LAYERS)}"]
    assert circles(edges) == [["vidstyle.media.a", "vidstyle.media.b"]]
