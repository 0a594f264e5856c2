"""Reading the pre-aggregated read models: `read_counters`, kept by statement-level triggers in the
same transaction as the rows they count (migration 0004_read_counters), so the overview, scorecards and trends
read a handful of rows whatever the length of the history. Scope '' is the city, else a platform."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def counted(session: AsyncSession, dimension: str, scope: str = "") -> dict[str, int]:
    """{key: count} of one dimension (keys whose count is zero are left out, as a group-by would)."""
    rows = await session.execute(text("select key, n from read_counters where scope = :s and dimension = :d "
                                      "and n <> 0"), {"s": scope, "d": dimension})
    return {key: int(n) for key, n in rows}


async def count(session: AsyncSession, dimension: str, scope: str = "", key: str = "") -> int:
    n = (await session.execute(text("select n from read_counters where scope = :s and dimension = :d and key = :k"),
                               {"s": scope, "d": dimension, "k": key})).scalar()
    return int(n or 0)


async def keys(session: AsyncSession, dimension: str, scope: str = "") -> set[str]:
    return set(await counted(session, dimension, scope))
