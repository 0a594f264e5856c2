"""The training slice's queries: writing a batch of training's events set-based, and the subsidy figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from newform_common import bulk

from ..contracts.models import WorkerRegistration
from .models import COMMITTED, REFUSED, TrainingCertificate, TrainingClaim


async def write_batch(session: AsyncSession, certificates: list[dict[str, Any]], claims: list[dict[str, Any]]) -> None:
    await bulk.upsert(session, TrainingCertificate, certificates, key=["certificate_number"])
    await bulk.upsert(
        session,
        TrainingClaim,
        claims,
        key=["claim_id"],
        keep_when_null=["reason", "rule", "year", "submitted_at", "decided_at", "paid_at"],
    )


async def subsidy_figures(
    session: AsyncSession, year: int | None = None
) -> tuple[list[Row], list[Row], list[Row], tuple[int, int]]:
    """(paid by district, occupation, level and channel: claims and amount; budget use by district and
    year: paid, committed, waiting for budget; refused claims by rule; (certificates issued, workers
    certified)) — of the claims of `year` (all years: None)."""
    claims = select(TrainingClaim)
    if year is not None:
        claims = claims.where(TrainingClaim.year == year)
    c = claims.subquery()
    paid = await session.execute(
        select(c.c.district, c.c.occupation, c.c.level, c.c.channel, func.count(), func.sum(c.c.amount_fen))
        .where(c.c.status == "paid")
        .group_by(c.c.district, c.c.occupation, c.c.level, c.c.channel)
        .order_by(c.c.district, c.c.occupation, c.c.level, c.c.channel)
    )
    use = await session.execute(
        select(
            c.c.district,
            c.c.year,
            func.coalesce(func.sum(c.c.amount_fen).filter(c.c.status == "paid"), 0),
            func.coalesce(func.sum(c.c.amount_fen).filter(c.c.status.in_(COMMITTED)), 0),
            func.count().filter(c.c.status == "queued"),
        )
        .where(c.c.year.is_not(None))
        .group_by(c.c.district, c.c.year)
        .order_by(c.c.year, c.c.district)
    )
    refused = await session.execute(
        select(c.c.rule, func.count())
        .where(c.c.status.in_(REFUSED))
        .group_by(c.c.rule)
        .order_by(func.count().desc(), c.c.rule)
    )
    issued, workers = (
        await session.execute(select(func.count(), func.count(distinct(TrainingCertificate.worker_id))))
    ).one()
    return list(paid), list(use), list(refused), (issued, workers)


async def workers_trained_of(session: AsyncSession, platform_ids: list[str]) -> dict[str, int]:
    """{platform: its registered workers who hold a skill certificate} (the scorecards' training figure)."""
    rows = await session.execute(
        select(WorkerRegistration.platform_id, func.count(distinct(TrainingCertificate.worker_id)))
        .join(WorkerRegistration, WorkerRegistration.worker_id == TrainingCertificate.worker_id)
        .where(col(WorkerRegistration.platform_id).in_(platform_ids))
        .group_by(WorkerRegistration.platform_id)
    )
    found = {platform_id: int(n) for platform_id, n in rows}
    return {p: found.get(p, 0) for p in platform_ids}
