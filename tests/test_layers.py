"""The package's imports run one way: snapshot <- policy <- graph <- queries <- present <- access <- review / cli.

The test reads every module of ``graphiam`` with :mod:`ast` (imports inside
functions and under ``TYPE_CHECKING`` included: a lazy import is still a
dependency) and fails on an import that runs up the stack, sideways between
layers that must not know each other, or in a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "graphiam"

# Each layer (a subpackage or a top-level module) and the layers it may import. The README's Layout
# section draws the same picture.
ALLOWED: dict[str, set[str]] = {
    "graphiam.version": set(),
    "graphiam.gcpause": set(),
    "graphiam.progress": set(),
    "graphiam.snapshot": {"graphiam.gcpause", "graphiam.version", "graphiam.progress"},
    "graphiam.collect": {"graphiam.snapshot"},
    "graphiam.synth": {"graphiam.snapshot"},
    "graphiam.policy": {"graphiam.snapshot"},
    "graphiam.graph": {"graphiam.snapshot", "graphiam.policy", "graphiam.gcpause", "graphiam.version",
                       "graphiam.progress"},
    "graphiam.queries": {"graphiam.snapshot", "graphiam.policy", "graphiam.graph"},
    "graphiam.present": {"graphiam.snapshot", "graphiam.policy", "graphiam.graph", "graphiam.queries",
                         "graphiam.version", "graphiam.progress"},
    "graphiam.access": {"graphiam.snapshot", "graphiam.policy", "graphiam.graph", "graphiam.queries",
                        "graphiam.present", "graphiam.progress"},
    # graphiam.diff(old, new) for notebooks: the facade's neighbour, built on it (AccessGraph, load)
    "graphiam.review": {"graphiam.snapshot", "graphiam.policy", "graphiam.graph", "graphiam.queries",
                        "graphiam.present", "graphiam.access", "graphiam.progress"},
    "graphiam.cli": {"graphiam.snapshot", "graphiam.policy", "graphiam.graph", "graphiam.queries",
                     "graphiam.present", "graphiam.access", "graphiam.collect", "graphiam.synth", "graphiam.version",
                     "graphiam.progress", "graphiam.gcpause"},
    "graphiam": {"graphiam.access", "graphiam.review", "graphiam.queries", "graphiam.snapshot", "graphiam.version"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


MODULES = all_modules()


def imported_modules(name: str, path: Path) -> set[str]:
    """The graphiam modules ``name`` imports (``from X import Y`` counts as X.Y when Y is a module)."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in MODULES)
    return {m for m in found if m in MODULES and m != name}


def layer_of(module: str) -> str:
    """The most specific entry of ALLOWED that holds ``module``."""
    candidates = [layer for layer in ALLOWED if module == layer or module.startswith(layer + ".")]
    assert candidates, f"{module} belongs to no layer: add it to ALLOWED (and to the README's Layout)"
    return max(candidates, key=len)


def import_graph() -> dict[str, set[str]]:
    return {name: imported_modules(name, path) for name, path in MODULES.items()}


def test_every_module_belongs_to_a_layer():
    for name in MODULES:
        layer_of(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_run_down_the_stack(name):
    layer = layer_of(name)
    wrong = sorted(m for m in imported_modules(name, MODULES[name])
                   if layer_of(m) != layer and layer_of(m) not in ALLOWED[layer])
    assert wrong == [], f"{name} ({layer}) imports {wrong}, which {layer} may not import"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a list of modules, or ``None`` (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            following = next(stack[-1], None)
            if following is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(following) == 1:
                return path[path.index(following):] + [following]
            elif not state.get(following):
                state[following] = 1
                path.append(following)
                stack.append(iter(sorted(graph[following])))
    return None


def test_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    # the test above can only fail if the finder works: a planted circle must be found
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_relative_imports_are_resolved_against_the_module(tmp_path):
    # a layer rule is only as good as the resolution of "from ..x import y"
    deps = imported_modules("graphiam.present.map", MODULES["graphiam.present.map"])
    assert "graphiam.queries.answer" in deps and "graphiam.graph.schema" in deps
    deps = imported_modules("graphiam.access", MODULES["graphiam.access"])
    assert "graphiam.graph.cache" in deps  # "from .graph import cache" names the module, not the package


def test_nothing_imports_the_facade_or_the_command_line():
    graph = import_graph()
    for name, deps in graph.items():
        if name not in ("graphiam", "graphiam.cli", "graphiam.review"):
            assert "graphiam.access" not in deps, f"{name} imports the facade"
        assert "graphiam.cli" not in deps, f"{name} imports the command line"
        if name != "graphiam":
            assert "graphiam.review" not in deps, f"{name} imports graphiam.review (the notebook diff)"
