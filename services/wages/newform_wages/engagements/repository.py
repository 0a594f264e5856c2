"""Queries of the engagements table: look-ups for judging, the consumer's upsert, and the lock that
orders intake's "keep it pending" against the consumer's "the engagement arrives"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.db import driver_connection
from newform_common.locks import lock_keys

from ..repository import decoded


async def engagements(session: AsyncSession, contract_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The engagements known of these contracts, by contract id."""
    ids = list(set(contract_ids))
    if not ids:
        return {}
    conn = await driver_connection(session)
    rows = await conn.fetch("select * from engagements where contract_id = any($1::text[])", ids)
    return {r["contract_id"]: decoded(r, "pay_schedule") for r in rows}


async def engagement(session: AsyncSession, contract_id: str) -> dict[str, Any] | None:
    """One contract's engagement, if known."""
    return (await engagements(session, [contract_id])).get(contract_id)


async def upsert_engagements(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Store the engagements as the consumer's batch left them (one statement for the batch)."""
    conn = await driver_connection(session)
    await conn.executemany(
        "insert into engagements (contract_id, worker_id, platform_id, enterprise_id, engagement_type, part_time, "
        "occupation, district, start_date, end_date, pay_period, status, updated_at, pay_schedule, hours_arrangement) "
        "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15) "
        "on conflict (contract_id) do update set "
        "worker_id = excluded.worker_id, platform_id = excluded.platform_id, enterprise_id = excluded.enterprise_id, "
        "engagement_type = excluded.engagement_type, part_time = excluded.part_time, "
        "occupation = excluded.occupation, district = excluded.district, start_date = excluded.start_date, "
        "end_date = excluded.end_date, pay_period = excluded.pay_period, status = excluded.status, "
        "updated_at = excluded.updated_at, pay_schedule = excluded.pay_schedule, "
        "hours_arrangement = excluded.hours_arrangement",
        [
            (
                r["contract_id"],
                r["worker_id"],
                r["platform_id"],
                r["enterprise_id"],
                r["engagement_type"],
                r["part_time"],
                r["occupation"],
                r["district"],
                r["start_date"],
                r["end_date"],
                r["pay_period"],
                r["status"],
                r["updated_at"],
                _json_text(r.get("pay_schedule")),
                r.get("hours_arrangement"),
            )
            for r in rows
        ],
    )


def _json_text(value: Any) -> str | None:
    if not value:
        return None
    return orjson.dumps(orjson.loads(value) if isinstance(value, str | bytes) else value).decode()


async def worker_engagement_kinds(session: AsyncSession, worker_ids: Iterable[str]) -> dict[str, set[str]]:
    """Per worker: 'full_time_labour' and/or 'part_time_labour' from their signed labour contracts, and
    'standard_hours' when a full-time one works standard hours (or does not say: the default regime)."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "select worker_id, part_time, hours_arrangement from engagements where worker_id = any($1::text[]) "
        "and engagement_type = 'labor_contract' and status = 'signed'",
        list(set(worker_ids)),
    )
    kinds: dict[str, set[str]] = {}
    for r in rows:
        kinds.setdefault(r["worker_id"], set()).add("part_time_labour" if r["part_time"] else "full_time_labour")
        if not r["part_time"] and r["hours_arrangement"] in (None, "standard"):
            kinds[r["worker_id"]].add("standard_hours")
    return kinds


async def lock_contracts(session: AsyncSession, contract_ids: Iterable[str], *, shared: bool) -> None:
    """Serialise "keep a statement pending" with "the engagement arrives" per contract, until commit.

    Without it, an upload that finds no engagement and the consumer that stores it could commit side by
    side, each not seeing the other's rows: the statement would stay pending for good. Intake takes the
    locks shared (uploads do not wait for each other), the consumer exclusively.
    """
    await lock_keys(session, "wages-engagement", contract_ids, shared=shared)
