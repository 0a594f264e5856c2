"""Queries of the quotas table, and the day's orders and minutes of a post's workers a quota is judged on."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.scope import get_visible

from .models import Quota


async def quota_in_effect(session: AsyncSession, platform_id: str, post: str, day: date) -> dict[str, Any] | None:
    """The platform's quota for a post in effect on a day (the latest declared from before it)."""
    row = (
        (
            await session.execute(
                text(
                    "select * from quotas where platform_id = :p and post = :post and effective_from <= :d "
                    "order by effective_from desc limit 1"
                ),
                {"p": platform_id, "post": post, "d": day},
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


async def quotas_of_post(session: AsyncSession, platform_id: str, post: str) -> list[tuple[str, int, date]]:
    """A platform's quotas for a post, (id, orders per day, effective from), in date order."""
    rows = await session.execute(
        text(
            "select id, orders_per_day, effective_from from quotas where platform_id = :p and post = :post "
            "order by effective_from"
        ),
        {"p": platform_id, "post": post},
    )
    return [(r[0], r[1], r[2]) for r in rows.all()]


async def worker_days(session: AsyncSession, platform_id: str, post: str, day: date) -> list[dict[str, Any]]:
    """Each worker's orders completed and working minutes on a post and day."""
    rows = await session.execute(
        text(
            "select worker_id, sum(orders_completed)::int as orders, sum(working_minutes)::int as minutes "
            "from work_sessions where platform_id = :p and post = :post and work_date = :d group by worker_id"
        ),
        {"p": platform_id, "post": post, "d": day},
    )
    return [dict(r) for r in rows.mappings()]


async def upsert_quota(session: AsyncSession, row: dict[str, Any]) -> str:
    """Declare a quota (a post's quota from the same day is replaced); returns the stored quota's id."""
    result = await session.execute(
        text(
            "insert into quotas (id, platform_id, post, orders_per_day, effective_from, declared_at) values "
            "(:id, :platform_id, :post, :orders_per_day, :effective_from, :declared_at) on conflict "
            "(platform_id, post, effective_from) do update set orders_per_day = excluded.orders_per_day returning id"
        ),
        row,
    )
    return result.scalar_one()


async def visible_quota(session: AsyncSession, principal: Principal, quota_id: str) -> Quota:
    """A quota the caller may see (its platform, oversight), else 404."""
    return await get_visible(session, principal, Quota, quota_id, what="quota")
