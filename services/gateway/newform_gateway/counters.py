"""Reading the pre-aggregated read models: `read_counters`, kept by statement-level triggers in the
same transaction as the rows they count (migration 0004_read_counters), so the overview, scorecards and trends
read a handful of rows whatever the length of the history. Scope '' is the city, else a platform."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def counted(session: AsyncSession, dimension: str, scope: str = "") -> dict[str, int]:
    """{key: count} of one dimension (keys whose count is zero are left out, as a group-by would)."""
    rows = await session.execute(
        text("select key, n from read_counters where scope = :s and dimension = :d and n <> 0"),
        {"s": scope, "d": dimension},
    )
    return {key: int(n) for key, n in rows}


async def count(session: AsyncSession, dimension: str, scope: str = "", key: str = "") -> int:
    n = (
        await session.execute(
            text("select n from read_counters where scope = :s and dimension = :d and key = :k"),
            {"s": scope, "d": dimension, "k": key},
        )
    ).scalar()
    return int(n or 0)


async def keys(session: AsyncSession, dimension: str, scope: str = "") -> set[str]:
    return set(await counted(session, dimension, scope))


# -- a rebuild counts once, at the end ------------------------------------------------------------------
# The triggers are migration 0004_read_counters's: its COUNTERS say what each table's rows add; the
# rebuild reads them from there (one definition) to suspend the triggers and count the tables once.
def _counters_migration() -> ModuleType:
    path = Path(__file__).parent / "migrations" / "versions" / "0004_read_counters.py"
    spec = importlib.util.spec_from_file_location("newform_gateway_migration_0004_read_counters", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def suspend_counting(conn: Any) -> None:
    """Stop the counting triggers of the counted tables (on an asyncpg connection); `count_all` ends it."""
    for table in _counters_migration().COUNTERS:
        for suffix in ("ins", "upd", "del"):
            await conn.execute(f"alter table {table} disable trigger count_{table}_{suffix}")


async def count_all(conn: Any) -> None:
    """Turn the counting triggers back on and count every row of the counted tables into an empty
    `read_counters`, one aggregate statement per table — as the migration counted what was there (table
    by table, so read_counters' own trigger sees each per-worker counter cross zero once)."""
    migration = _counters_migration()
    for table in migration.COUNTERS:
        for suffix in ("ins", "upd", "del"):
            await conn.execute(f"alter table {table} enable trigger count_{table}_{suffix}")
        await conn.execute(migration.apply(migration.contributions(table, table, 1)))
