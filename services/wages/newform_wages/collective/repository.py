"""Queries of the collective_contracts table: the consumer's idempotent upsert, an end recorded, and the
contracts naming a platform (few rows: judged in memory by `rules.binding`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.collective import Collective, collective_of
from newform_common.db import driver_connection

from ..repository import decoded

_JSON = ("platform_ids", "districts", "occupations", "terms")


async def upsert_in_force(session: AsyncSession, row: dict[str, Any], at: datetime) -> None:
    """A contract in force, stored or replaced as published (a redelivery changes nothing; an end already
    recorded is kept)."""
    conn = await driver_connection(session)
    await conn.execute(
        "insert into collective_contracts (collective_contract_id, union_id, kind, platform_ids, districts, "
        "occupations, effective_from, effective_until, in_force_on, terms, updated_at) "
        "values ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $9, $10::jsonb, $11) "
        "on conflict (collective_contract_id) do update set union_id = excluded.union_id, kind = excluded.kind, "
        "platform_ids = excluded.platform_ids, districts = excluded.districts, occupations = excluded.occupations, "
        "effective_from = excluded.effective_from, effective_until = excluded.effective_until, "
        "in_force_on = excluded.in_force_on, terms = excluded.terms, updated_at = excluded.updated_at",
        row["collective_contract_id"],
        row["union_id"],
        row["kind"],
        *(orjson.dumps(row[k]).decode() for k in ("platform_ids", "districts", "occupations")),
        row["effective_from"],
        row["effective_until"],
        row["in_force_on"],
        orjson.dumps(row["terms"]).decode(),
        at,
    )


async def record_end(
    session: AsyncSession, collective_contract_id: str, ended_on: date, reason: str, at: datetime
) -> bool:
    """The contract's end (kept, not deleted); False when the contract is not known here."""
    conn = await driver_connection(session)
    status = await conn.execute(
        "update collective_contracts set ended_on = $2, end_reason = $3, updated_at = $4 "
        "where collective_contract_id = $1",
        collective_contract_id,
        ended_on,
        reason,
        at,
    )
    return not status.endswith(" 0")


async def collectives_of_platform(session: AsyncSession, platform_id: str) -> list[Collective]:
    """Every collective contract naming the platform, ended ones too (the rules pick by the fact's date)."""
    conn = await driver_connection(session)
    rows = await conn.fetch("select * from collective_contracts where platform_ids ? $1", platform_id)
    return [collective_of(decoded(r, *_JSON)) for r in rows]


# The statement's own fields and its engagement's subject fields, as M7's bad-weather allowance check reads them.
_ALLOWANCE_STATEMENTS = """
    select s.id, s.line_id, s.contract_id, s.platform_id, s.worker_id, s.period_start, s.period_end,
           s.bad_weather_allowance_fen, e.district, e.occupation, e.enterprise_id, e.engagement_type
    from statements s join engagements e on e.contract_id = s.contract_id
    where s.status = 'judged' and s.bad_weather_allowance_fen is not null
"""


async def allowance_statements_in_district(
    session: AsyncSession, district: str, first_day: date, last_day: date
) -> list[dict[str, Any]]:
    """Judged statements (stating their bad-weather allowance) of engagements in the district whose period meets
    the days, of platforms a collective contract agreeing a bad-weather allowance names."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        _ALLOWANCE_STATEMENTS + " and e.district = $1 and s.period_start <= $3 and s.period_end >= $2"
        " and exists (select 1 from collective_contracts c where c.platform_ids ? s.platform_id"
        " and c.terms->>'bad_weather_allowance_fen_per_day' is not null) order by s.id",
        district,
        first_day,
        last_day,
    )
    return [dict(r) for r in rows]


async def allowance_statements_of_platform(
    session: AsyncSession, platform_id: str, first_end: date, last_end: date | None
) -> list[dict[str, Any]]:
    """Judged statements (stating their bad-weather allowance) of the platform whose period ends in the days."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        _ALLOWANCE_STATEMENTS + " and s.platform_id = $1 and s.period_end >= $2"
        " and ($3::date is null or s.period_end <= $3) order by s.id",
        platform_id,
        first_end,
        last_end,
    )
    return [dict(r) for r in rows]


async def engagement_sessions(
    session: AsyncSession, row: dict[str, Any], starts: datetime, ends: datetime
) -> list[tuple[datetime, datetime]]:
    """The work sessions of the statement's engagement meeting [starts, ends): its contract's, or the worker's on
    the platform reported without a contract (as M8 places sessions)."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "select started_at, ended_at from work_sessions where platform_id = $1"
        " and (contract_id = $2 or (contract_id is null and worker_id = $3))"
        " and started_at < $5 and ended_at > $4 order by started_at",
        row["platform_id"],
        row["contract_id"],
        row["worker_id"],
        starts,
        ends,
    )
    return [(r["started_at"], r["ended_at"]) for r in rows]
