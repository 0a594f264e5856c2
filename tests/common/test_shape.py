"""One shape for every service (issue 20; `newform_common.shape`, docs/shape.md): every query in a
repository, clocks only through the kit's deadlines API, modules and functions a reader can hold,
no import inside a function without its reason, no import circle. Run for every service in the
registry (a new service made by `newform new-service` is checked with no edit here) and for the kit
and the local tools (all but the query rule: the kit *is* the database layer)."""

from __future__ import annotations

import pytest

from newform_common import registry, shape

SERVICES = [s.package for s in registry.installed()]
LIBRARIES = ["newform_common", "newform_local"]


@pytest.mark.parametrize("package", SERVICES)
def test_every_query_is_in_a_repository_and_every_clock_goes_through_the_kit(package):
    assert [str(b) for b in shape.queries_outside_repositories(package)] == []


@pytest.mark.parametrize("package", SERVICES + LIBRARIES)
def test_modules_and_functions_are_short_or_say_why(package):
    assert [str(b) for b in shape.long_modules(package) + shape.long_functions(package)] == []


@pytest.mark.parametrize("package", SERVICES + LIBRARIES)
def test_no_import_inside_a_function_without_its_reason(package):
    assert [str(b) for b in shape.imports_inside_functions(package)] == []


@pytest.mark.parametrize("package", SERVICES + LIBRARIES)
def test_no_import_circle(package):
    assert [str(b) for b in shape.import_cycles(package)] == []


# The checks themselves: each finds what it is for (a check that finds nothing proves nothing).


def write(tmp_path, files: dict[str, str]):
    root = tmp_path / "newform_stray"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_query_written_in_a_router_is_found_and_one_in_a_repository_is_not(tmp_path):
    query = "from sqlalchemy import select\n\nasync def f(session):\n    return await session.execute(select(1))\n"
    root = write(tmp_path, {"router.py": query, "statements/repository.py": query, "__init__.py": ""})
    found = shape.queries_outside_repositories(root)
    assert {b.where.split(":")[0] for b in found} == {"router.py"}
    assert len(found) == 2  # the query builder imported, the session called


def test_sql_text_and_driver_calls_are_found_outside_a_repository(tmp_path):
    root = write(
        tmp_path,
        {
            "service.py": 'async def f(conn):\n    await conn.fetch("select id from statements where x = $1", 1)\n',
            "models.py": 'DDL = "select 1 from pg_class"\n',
        },
    )
    assert [b.what.split(" ")[0] for b in shape.queries_outside_repositories(root)] == ["SQL", "calls"]


def test_a_raw_write_of_the_deadlines_table_is_found_even_in_a_repository(tmp_path):
    root = write(
        tmp_path, {"repository.py": 'SQL = "insert into deadlines (id, kind) values (:id, :kind)"\n', "__init__.py": ""}
    )
    (breach,) = shape.queries_outside_repositories(root)
    assert "deadlines" in breach.what


def test_deadline_rows_made_with_the_orm_outside_the_kit_are_found(tmp_path):
    root = write(
        tmp_path,
        {
            "repository.py": "async def f(session, rows):\n"
            "    await session.run_sync(lambda s: s.bulk_insert_mappings(Deadline, rows))\n"
            "    session.add(Deadline(kind='x'))\n"
            "    return await session.execute(select(Deadline))\n",
        },
    )
    assert [b.where for b in shape.queries_outside_repositories(root)] == ["repository.py:2", "repository.py:3"]


def test_long_modules_and_functions_need_their_reason(tmp_path):
    long_function = "def f():\n" + "    x = 1\n" * 90
    root = write(
        tmp_path,
        {
            "long.py": long_function,
            "explained.py": 'def g():\n    """Long because it is a table."""\n' + "    x = 1\n" * 90,
            "big.py": "x = 1\n" * 501,
        },
    )
    assert sorted(b.where.split(":")[0] for b in shape.long_modules(root) + shape.long_functions(root)) == [
        "big.py",
        "long.py",
    ]


def test_an_import_inside_a_function_needs_its_reason(tmp_path):
    root = write(
        tmp_path,
        {
            "a.py": "def f():\n    import json\n    return json\n",
            "b.py": 'def g():\n    """Imported here because only the CLI needs it."""\n    import json\n',
        },
    )
    assert [b.where for b in shape.imports_inside_functions(root)] == ["a.py:2"]


def test_an_import_circle_is_found(tmp_path):
    root = write(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from . import b\n",
            "b.py": "from .c import x\n",
            "c.py": "from .a import y\nx = 1\n",
            "d.py": "from . import a\n",  # imports into the circle, not part of it
        },
    )
    (circle,) = shape.import_cycles(root)
    assert circle.what == "import circle newform_stray.a → newform_stray.b → newform_stray.c → newform_stray.a"
