"""Prints the import graph between Strata's packages and checks the layering rules.

    python3 -m tools.import_graph            # the table, then any rule broken
    python3 -m tools.import_graph --modules  # also list each cross-package import

The layers, bottom to top: `dialects/` (IR definitions and the leaf modules every layer
may use: errors, element types, the weight table), `runtime/` (runs compiled code; needs no
IR: from dialects it may take only the error classes, which import nothing), `lowering/`
(dialects, runtime), `compiler/` (all of them), `tools/` (anything). An import under
`if TYPE_CHECKING:` is a type annotation, not a dependency, and is reported apart.
tests/test_layering.py runs `violations()`; the exit status is 1 when a rule is broken.
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


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            modules: list[str] = []
            if isinstance(child, ast.Import):
                modules = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                modules = [child.module]
            for m in modules:
                if m.split(".")[0] in PACKAGES:
                    found.append(Import(str(path.relative_to(ROOT)), child.lineno, m, in_function, type_only))
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
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
