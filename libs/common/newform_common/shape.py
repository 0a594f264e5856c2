"""The one shape of a service, as checks a test runs for every package (issue 20; docs/shape.md).

- **Queries live in repositories**: SQL is written only in `repository.py` modules (one per
  aggregate package, or the service's own), in `models.py` / `models/` (tables) and in `migrations/`.
  Elsewhere a module may hold a session and call the repositories, add new rows to the unit of work
  (`session.add`: the ORM writes them at commit, so the transaction stays the request's) and nothing
  else: no `execute`, `scalar(s)`, `get`, `stream`, driver calls (`fetch*`, `copy_*`), no query
  builders from sqlalchemy or sqlmodel, no SQL text.
- **Clocks only through the kit's deadlines API** (`newform_common.deadlines`): no service writes the
  `deadlines` table with its own SQL or ORM rows, repositories included (it may read them).
- **Sizes a reader can hold**: a module over 500 lines or a function over 80 lines says why in its
  docstring with the words "Long because"; an import inside a function says why in the function's
  docstring with "Imported here because" (the usual reason, an import circle, is itself a finding).
- **No import circle** between the modules of one package.

`python -m newform_common.shape newform_wages` prints what a package breaks.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MODULE_LINES = 500
FUNCTION_LINES = 80
LONG_REASON = "Long because"
IMPORT_REASON = "Imported here because"

#: Types a module may name to hold a session or a connection; everything else from sqlalchemy builds queries.
SESSION_TYPES = {"AsyncSession", "AsyncConnection", "AsyncEngine", "ColumnElement", "IntegrityError", "DBAPIError"}
SQL_LIBRARIES = {"sqlalchemy", "sqlmodel", "asyncpg"}
#: sqlmodel's names for declaring tables and schemas (not queries).
SQLMODEL_DECLARATIONS = {"SQLModel", "Field", "Relationship", "Column"}
QUERY_METHODS = {
    "execute",
    "exec",
    "scalar",
    "scalars",
    "get",
    "stream",
    "stream_scalars",
    "fetch",
    "fetchrow",
    "fetchval",
    "executemany",
    "copy_records_to_table",
    "copy_to_table",
    "copy_from_query",
}
#: The names a session, connection or database goes by in this code base.
SESSION_NAMES = {"session", "db", "conn", "connection", "raw", "tx"}
SQL_TEXT = re.compile(
    r"(?is)^\s*(select\s.+\sfrom\s|insert\s+into\s|update\s+\w+\s+set\s|delete\s+from\s|with\s+\w+\s+as\s*\(|copy\s+\w+)"
)
DEADLINE_WRITE = re.compile(r"(?is)\b(insert\s+into|update|delete\s+from)\s+deadlines\b")


@dataclass(frozen=True, order=True)
class Breach:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def package_dir(package: str | Path) -> Path:
    if isinstance(package, Path):
        return package
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise LookupError(f"no package {package!r}")
    return Path(next(iter(found.submodule_search_locations)))


def _modules(root: Path) -> Iterator[tuple[Path, Path, ast.Module]]:
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if any(part.endswith("migrations") or part == "templates" for part in relative.parts):
            continue
        yield path, relative, ast.parse(path.read_text(), str(path))


def is_sql_home(relative: Path) -> bool:
    parts = relative.parts
    return relative.name in {"repository.py", "models.py"} or "repository" in parts[:-1] or "models" in parts[:-1]


def _strings(node: ast.AST) -> Iterator[tuple[int, str]]:
    """Every string constant and f-string (its literal parts joined), with its line."""
    for n in ast.walk(node):
        if isinstance(n, ast.JoinedStr):
            parts = (v.value for v in n.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            yield n.lineno, "".join(parts)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            yield n.lineno, n.value


def queries_outside_repositories(package: str | Path) -> list[Breach]:
    root = package_dir(package)
    found: list[Breach] = []
    for _path, relative, tree in _modules(root):
        home = is_sql_home(relative)
        for line, value in _strings(tree):
            if DEADLINE_WRITE.search(value):
                found.append(Breach(f"{relative}:{line}", "writes the deadlines table (use newform_common.deadlines)"))
            elif not home and SQL_TEXT.match(value):
                found.append(Breach(f"{relative}:{line}", f"SQL text {value.strip()[:40]!r}"))
        found.extend(_clock_writes(tree, relative))
        if home:
            continue
        for node in ast.walk(tree):
            where = f"{relative}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SQL_LIBRARIES:
                allowed = SESSION_TYPES | (SQLMODEL_DECLARATIONS if node.module == "sqlmodel" else set())
                names = {a.name for a in node.names} - allowed
                if names and not (node.module or "").startswith("sqlalchemy.exc"):
                    found.append(Breach(where, f"imports {sorted(names)} from {node.module}"))
            elif isinstance(node, ast.Import) and any(a.name.split(".")[0] in SQL_LIBRARIES for a in node.names):
                found.append(Breach(where, "imports a database library"))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in QUERY_METHODS
                and _session_like(node.func.value)
                # `get` is also every dict's: only a session's `get` is a query.
                and (node.func.attr != "get" or _name_of(node.func.value) == "session")
            ):
                found.append(Breach(where, f"calls {ast.unparse(node.func)}"))
    return sorted(found)


#: Calls that write a table given as their first argument.
TABLE_WRITES = {"insert", "update", "delete", "bulk_insert_mappings", "bulk_update_mappings", "bulk_save_objects"}


def _clock_writes(tree: ast.AST, relative: Path) -> list[Breach]:
    """A service creating or writing the kit's `Deadline` rows itself, by the ORM (SQL text is caught
    by DEADLINE_WRITE): a `Deadline(...)` row, or `insert(Deadline)` and its kin."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _name_of(node.func)
        first = _name_of(node.args[0]) if node.args else None
        if called == "Deadline" or (called in TABLE_WRITES and first == "Deadline"):
            found.append(Breach(f"{relative}:{node.lineno}", "writes Deadline rows (use newform_common.deadlines)"))
    return found


def _session_like(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in SESSION_NAMES
    if isinstance(node, ast.Attribute):  # self.db, app.state.db, ...
        return node.attr in SESSION_NAMES
    return False


def _name_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _docstring(node: ast.AST) -> str:
    try:
        # Any node on purpose: get_docstring's TypeError (a node that cannot hold one) is the answer "".
        return ast.get_docstring(node) or ""  # type: ignore[arg-type]
    except TypeError:
        return ""


def long_modules(package: str | Path, limit: int = MODULE_LINES) -> list[Breach]:
    found = []
    for path, relative, tree in _modules(package_dir(package)):
        lines = len(path.read_text().splitlines())
        if lines > limit and LONG_REASON not in _docstring(tree):
            found.append(Breach(str(relative), f"{lines} lines, no '{LONG_REASON}' in its docstring"))
    return found


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def long_functions(package: str | Path, limit: int = FUNCTION_LINES) -> list[Breach]:
    found = []
    for _path, relative, tree in _modules(package_dir(package)):
        for fn in _functions(tree):
            lines = (fn.end_lineno or fn.lineno) - fn.lineno + 1
            if lines > limit and LONG_REASON not in _docstring(fn):
                found.append(Breach(f"{relative}:{fn.lineno}", f"{fn.name} has {lines} lines, no '{LONG_REASON}'"))
    return found


def imports_inside_functions(package: str | Path) -> list[Breach]:
    found = []
    for _path, relative, tree in _modules(package_dir(package)):
        for fn in _functions(tree):
            if IMPORT_REASON in _docstring(fn):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    found.append(Breach(f"{relative}:{node.lineno}", f"import inside {fn.name}"))
    return found


def _module_name(root: Path, relative: Path) -> str:
    parts = [root.name, *relative.with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(module: str, is_package: bool, node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = module if is_package else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    target = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
    # `from . import x` may name a module: count both the package and `package.x`.
    return [target, *(f"{target}.{a.name}" for a in node.names)]


def import_graph(package: str | Path) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports at load time (not under TYPE_CHECKING)."""
    root = package_dir(package)
    modules = {_module_name(root, rel): (rel, tree) for _p, rel, tree in _modules(root)}
    graph: dict[str, set[str]] = {}
    for name, (rel, tree) in modules.items():
        edges: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom) and not _inside_function(tree, inner):
                    edges |= {t for t in _imported(name, rel.name == "__init__.py", inner) if t in modules}
        graph[name] = edges - {name}
    return graph


def _inside_function(tree: ast.Module, target: ast.AST) -> bool:
    return any(target in ast.walk(fn) for fn in _functions(tree))


def import_cycles(package: str | Path) -> list[Breach]:
    """Each circle of imports once, as the list of its modules."""
    graph = import_graph(package)
    cycles: set[tuple[str, ...]] = set()

    def visit(node: str, path: list[str], on_path: set[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_path:
                cycle = path[path.index(nxt) :]
                # A package importing its own submodule (`__init__` re-exports) is not a circle.
                if len(cycle) > 1 and not all(c == nxt or c.startswith(nxt + ".") for c in cycle):
                    start = cycle.index(min(cycle))
                    cycles.add(tuple(cycle[start:] + cycle[:start]))
            elif len(path) < 12:
                visit(nxt, [*path, nxt], on_path | {nxt})

    for start in sorted(graph):
        visit(start, [start], {start})
    return [Breach(c[0], "import circle " + " → ".join([*c, c[0]])) for c in sorted(cycles)]


def all_breaches(package: str | Path) -> list[Breach]:
    return [
        *queries_outside_repositories(package),
        *long_modules(package),
        *long_functions(package),
        *imports_inside_functions(package),
        *import_cycles(package),
    ]


def main(argv: list[str] | None = None) -> int:
    packages = (argv if argv is not None else sys.argv[1:]) or []
    if not packages or packages[0] in {"-h", "--help"}:
        print(__doc__)
        return 0
    total = 0
    for package in packages:
        for breach in all_breaches(package):
            print(f"{package}/{breach}")
            total += 1
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
