"""Prints the import graph between Strata's packages and checks the layering rules and
that the graph of its modules has no cycle.

    python3 -m tools.import_graph            # the table, then any rule broken or cycle
    python3 -m tools.import_graph --modules  # also list each cross-package import

The layers, bottom to top: `dialects/` (IR definitions and the leaf modules every layer
may use: errors, element types, the weight table), `runtime/` (runs compiled code; needs no
IR: from dialects it may take only the error classes, which import nothing), `lowering/`
(dialects, runtime), `compiler/` (all of them), `tools/` (anything). An import under
`if TYPE_CHECKING:` is a type annotation, not a dependency, and is reported apart.

Cycles: the graph between modules (`runtime.artifact` -> `runtime.jit`), counting the
imports inside functions too, must be acyclic, so that no import sits in a function only
to break a cycle (an import inside a function is there for start-up time or an optional
dependency, and says so in a comment). Importing `a.b.c` also runs the packages `a` and
`a.b` (their `__init__.py`), so it is an edge to those as well, except to the packages the
importing module lies in (Python has begun those before the module itself).

tests/test_layering.py runs `violations()` and `cycles()`; the exit status is 1 when a
rule is broken or a cycle found.
"""

from __future__ import annotations

import argparse
import ast
import collections
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dialects", "runtime", "lowering", "compiler", "tools")

# What each package may import from the others; a module listed under a package name may
# be imported even where its package is not (runtime's use of the error classes).
ALLOWED: dict[str, set[str]] = {
    "dialects": set(),
    "runtime": {"dialects.errors"},
    "lowering": {"dialects", "runtime"},
    "compiler": {"dialects", "runtime", "lowering"},
    "tools": {"dialects", "runtime", "lowering", "compiler"},
}


@dataclass(frozen=True)
class Import:
    file: str  # path relative to the repository root
    line: int
    module: str  # the imported module ("dialects.errors")
    in_function: bool
    type_only: bool  # under `if TYPE_CHECKING:`
    names: tuple[str, ...] = ()  # `from module import names` (a name may be a submodule)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_name(file: str) -> str:
    """`runtime/artifact.py` -> `runtime.artifact`; a package's `__init__.py` is the package."""
    parts = list(Path(file).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(), str(path))
    file = str(path.relative_to(ROOT))
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            modules: list[str] = []
            names: tuple[str, ...] = ()
            if isinstance(child, ast.Import):
                modules = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: from the file's own package
                    package = module_name(file).split(".")
                    package = package[: len(package) - child.level + (path.name == "__init__.py")]
                    base = ".".join(package + ([base] if base else []))
                modules, names = ([base] if base else []), tuple(a.name for a in child.names)
            for m in modules:
                if m.split(".")[0] in PACKAGES:
                    found.append(Import(file, child.lineno, m, in_function, type_only, names))
            visit(child,
                  in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)),
                  type_only or (isinstance(child, ast.If) and _is_type_checking(child)))

    visit(tree, False, False)
    return found


def all_imports() -> list[Import]:
    out: list[Import] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            out.extend(imports_of(path))
    return out


def _package(module_or_file: str) -> str:
    return module_or_file.replace("/", ".").split(".")[0]


def cross_package(imports: list[Import]) -> list[Import]:
    return [i for i in imports if _package(i.module) != _package(i.file)]


def allowed(imp: Import) -> bool:
    rules = ALLOWED[_package(imp.file)]
    target = imp.module
    return _package(target) in rules or any(target == m or target.startswith(m + ".") for m in rules)


def violations(imports: list[Import] | None = None) -> list[Import]:
    """Cross-package imports that point up (type-only imports excepted)."""
    return [i for i in cross_package(all_imports() if imports is None else imports)
            if not i.type_only and not allowed(i)]


def project_modules() -> set[str]:
    return {module_name(str(p.relative_to(ROOT))) for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def targets(imp: Import, modules: set[str]) -> set[str]:
    """The project modules that running `imp` imports: the named module (or, for `from
    m import x`, the submodule m.x where there is one), and the packages above them that
    do not hold the importing module."""
    named = [f"{imp.module}.{n}" if f"{imp.module}.{n}" in modules else imp.module for n in imp.names] or [imp.module]
    own = module_name(imp.file).split(".")
    own_packages = {".".join(own[:k]) for k in range(1, len(own) + (imp.file.endswith("__init__.py")))}
    found: set[str] = set()
    for target in named:
        parts = target.split(".")
        for k in range(1, len(parts) + 1):
            m = ".".join(parts[:k])
            if m in modules and (m not in own_packages or k == len(parts)):
                found.add(m)
    found.discard(module_name(imp.file))
    return found


def module_graph(imports: list[Import] | None = None) -> dict[str, set[str]]:
    """Module -> the project modules it imports, at module level or inside functions
    (type-only imports excepted)."""
    modules = project_modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in all_imports() if imports is None else imports:
        if not imp.type_only:
            graph.setdefault(module_name(imp.file), set()).update(targets(imp, modules))
    return graph


def cycles(graph: dict[str, set[str]] | None = None) -> list[list[str]]:
    """One cycle ([a, b, ..., a]) per strongly connected part of the module graph with
    more than one module; [] when the graph is acyclic."""
    graph = module_graph() if graph is None else graph
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    parts: list[set[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.add(w)
                if w == v:
                    break
            if len(part) > 1:
                parts.append(part)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for v in sorted(graph):
            if v not in index:
                connect(v)
    finally:
        sys.setrecursionlimit(limit)
    found = []
    for part in parts:  # the shortest way from the part's first module back to itself
        start = min(part)
        came_from: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in came_from:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & part):
                    if w not in came_from:
                        came_from[w] = v
                        nxt.append(w)
            frontier = nxt
        path = [start]
        while len(path) == 1 or path[-1] != start:
            path.append(came_from[path[-1]])
        found.append(path[::-1])
    return sorted(found)


def table(imports: list[Import]) -> list[str]:
    edges: collections.Counter[tuple[str, str]] = collections.Counter()
    in_function: collections.Counter[tuple[str, str]] = collections.Counter()
    files: dict[tuple[str, str], set[str]] = collections.defaultdict(set)
    for i in cross_package(imports):
        key = (_package(i.file), _package(i.module))
        edges[key] += 1
        in_function[key] += i.in_function
        files[key].add(i.file)
    return [f"{a:9s} -> {b:9s} {n:4d} imports ({in_function[(a, b)]} inside functions) in {len(files[(a, b)])} files"
            for (a, b), n in sorted(edges.items(), key=lambda kv: (PACKAGES.index(kv[0][0]), PACKAGES.index(kv[0][1])))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", action="store_true", help="list every cross-package import")
    args = parser.parse_args(argv)
    imports = all_imports()
    print("\n".join(table(imports)))
    if args.modules:
        for i in cross_package(imports):
            flags = ",".join(f for f, on in (("in function", i.in_function), ("type only", i.type_only)) if on)
            print(f"  {i.file}:{i.line} -> {i.module}" + (f" ({flags})" if flags else ""))
    bad = violations(imports)
    for i in bad:
        print(f"layering: {i.file}:{i.line} imports {i.module} ({_package(i.file)}/ may import only "
              f"{', '.join(sorted(ALLOWED[_package(i.file)])) or 'nothing'} from the other packages)")
    print("layering rules hold" if not bad else f"{len(bad)} imports break the layering rules")
    graph = module_graph(imports)
    loops = cycles(graph)
    for loop in loops:
        print("cycle: " + " -> ".join(loop))
    inside = sum(1 for i in imports if i.in_function and not i.type_only)
    summary = (f"{len(graph)} modules, {sum(map(len, graph.values()))} imports between them, "
               f"{inside} project imports inside functions")
    print(f"module graph has no cycles ({summary})" if not loops else f"{len(loops)} import cycles ({summary})")
    return 1 if bad or loops else 0


if __name__ == "__main__":
    sys.exit(main())
