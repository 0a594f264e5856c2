"""Reads and writes in their place (issue 7): every query of the contracts service is in a
`repository.py` (the service's own or an aggregate's); the routers and the use cases reach the database
only through them."""

from __future__ import annotations

import ast
from pathlib import Path

import newform_contracts

PACKAGE = Path(newform_contracts.__file__).parent
#: Where SQL may be written: the repositories, the table definitions (at the top or in an aggregate's
#: package), the migrations.
SQL_HOMES = {"repository.py", "models.py"}
QUERY_METHODS = {"execute", "scalar", "scalars", "get", "stream"}


def queries_outside_the_repository() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "migrations" or relative.name in SQL_HOMES:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = f"{relative}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
                names = {a.name for a in node.names}
                if names - {"AsyncSession"}:  # the session's type is fine; building queries is not
                    found.append(f"{where} imports {sorted(names)} from {node.module}")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in QUERY_METHODS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"session", "db"}
            ):
                found.append(f"{where} calls {node.func.value.id}.{node.func.attr}")
    return found


def test_every_query_of_the_service_is_in_its_repository():
    assert queries_outside_the_repository() == []


def test_the_check_finds_a_query_written_elsewhere(tmp_path, monkeypatch):
    stray = tmp_path / "newform_contracts"
    stray.mkdir()
    (stray / "router.py").write_text(
        "from sqlalchemy import select\n\nasync def f(session):\n    return await session.execute(select(1))\n"
    )
    monkeypatch.setattr(f"{__name__}.PACKAGE", stray)
    assert len(queries_outside_the_repository()) == 2
