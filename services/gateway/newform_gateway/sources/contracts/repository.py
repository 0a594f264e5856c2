"""The contracts slice's queries: writing a batch of contracts' events set-based, and the enterprises,
platforms and rule notices the API, the alert path and the scorecards read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from newform_common import bulk
from newform_common.db import driver_connection
from newform_common.pagination import PageParams

from .models import AccountRestriction, ContractView, Enterprise, RuleNotice, WeatherResponse, WorkerRegistration


# -- writes (the projection) ---------------------------------------------------------------------------
async def write_enterprises(session: AsyncSession, enterprises: list[dict[str, Any]]) -> None:
    await bulk.upsert(session, Enterprise, enterprises, key=["enterprise_id"])


async def refresh_registrations(session: AsyncSession, pairs: set[tuple[str, str]]) -> None:
    """The registrations of these (worker, platform) pairs: active exactly when none of their cancellations
    is in effect (a `cancel` not lifted, M5) — decided from the stored restrictions and lifts, not from the
    order their events came in, so a replay ends the same (unions' `refresh_registration` decides alike;
    RULES.md of unions, "Union coverage"). Only rows that change are written (the read counters follow)."""
    if not pairs:
        return
    conn = await driver_connection(session)
    await conn.execute(
        "update worker_registrations r set active = c.active "
        "from (select p.w, p.p, not exists (select 1 from account_restrictions a where a.worker_id = p.w "
        "and a.platform_id = p.p and a.action = 'cancel' and a.lifted_at is null) as active "
        "from unnest($1::text[], $2::text[]) as p(w, p)) c "
        "where r.worker_id = c.w and r.platform_id = c.p and r.active is distinct from c.active",
        [w for w, _ in pairs],
        [p for _, p in pairs],
    )


async def write_batch(
    session: AsyncSession,
    registrations: list[dict[str, Any]],
    drafted: list[dict[str, Any]],
    moved: list[dict[str, Any]],
    restrictions: list[dict[str, Any]],
    lifts: list[dict[str, Any]],
    notices: list[dict[str, Any]],
) -> None:
    """One statement per table (two for restrictions: their facts, their lifts): registrations, contracts
    drafted, status moves of contracts drafted in earlier batches, account restrictions, rule notices."""
    await bulk.upsert(session, WorkerRegistration, registrations, key=["registration_id"])
    await bulk.upsert(session, ContractView, drafted, key=["contract_id"])
    await bulk.upsert(
        session,
        ContractView,
        moved,
        key=["contract_id"],
        update=["status", "status_at", "document_sha256"],
        keep_when_null=["document_sha256"],
    )
    # a restriction's facts and its lift each write their own columns only: either may make the row
    await bulk.upsert(session, AccountRestriction, restrictions, key=["restriction_id"])
    await bulk.upsert(
        session, AccountRestriction, lifts, key=["restriction_id"], update=["lifted_at", "lifted_by_role"]
    )
    await bulk.upsert(session, RuleNotice, notices, key=["notice_id"])


# -- reads ---------------------------------------------------------------------------------------------
async def enterprises_page(
    session: AsyncSession, params: PageParams, *, platform_id: str | None = None
) -> list[Enterprise]:
    q = select(Enterprise).order_by(Enterprise.enterprise_id).limit(params.limit + 1)
    if platform_id:
        q = q.where(Enterprise.platform_id == platform_id)
    if params.after:
        q = q.where(Enterprise.enterprise_id > str(params.after[0]))
    return list((await session.execute(q)).scalars())


async def enterprise_platform_ids(session: AsyncSession) -> set[str]:
    return set((await session.execute(select(Enterprise.platform_id).distinct())).scalars())


async def enterprises_of_platforms(session: AsyncSession, platform_ids: list[str]) -> dict[str, list[Enterprise]]:
    """{platform: its enterprises (itself among them), by id}, one statement for all of them."""
    found: dict[str, list[Enterprise]] = {p: [] for p in platform_ids}
    rows = await session.execute(
        select(Enterprise).where(col(Enterprise.platform_id).in_(platform_ids)).order_by(Enterprise.enterprise_id)
    )
    for enterprise in rows.scalars():
        found[enterprise.platform_id].append(enterprise)
    return found


async def rule_notices_of(session: AsyncSession, platform_ids: list[str]) -> dict[str, tuple[int, int]]:
    """{platform: (rule notices it published, of which consulted on)} — M10; (0, 0) for none."""
    rows = await session.execute(
        select(RuleNotice.platform_id, func.count(), func.count().filter(col(RuleNotice.consulted).is_(True)))
        .where(col(RuleNotice.platform_id).in_(platform_ids))
        .group_by(RuleNotice.platform_id)
    )
    found = {platform_id: (int(published), int(consulted)) for platform_id, published, consulted in rows}
    return {p: found.get(p, (0, 0)) for p in platform_ids}


async def write_responses(session: AsyncSession, responses: list[dict[str, Any]]) -> None:
    """Platforms' responses to bad-weather warnings (M8), each once."""
    await bulk.upsert(session, WeatherResponse, responses, key=["response_id"])
