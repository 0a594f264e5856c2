"""Reads every aggregate's views share: the clocks and findings of a page of complaints or cases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.deadlines import Deadline
from newform_common.findings import Finding, FindingRef


async def clocks_and_findings(
    session: AsyncSession, subject_ids: list[str]
) -> tuple[dict[str, list[Deadline]], dict[str, list[FindingRef]]]:
    """The clocks and findings of many subjects in two queries (a page of complaints or cases)."""
    clocks: dict[str, list[Deadline]] = {s: [] for s in subject_ids}
    found: dict[str, list[FindingRef]] = {s: [] for s in subject_ids}
    if subject_ids:
        rows = await session.execute(
            select(Deadline).where(Deadline.subject_id.in_(subject_ids)).order_by(Deadline.created_at, Deadline.id)
        )
        for d in rows.scalars():
            clocks[d.subject_id].append(d)
        rows = await session.execute(select(Finding).where(Finding.subject_id.in_(subject_ids)).order_by(Finding.id))
        for f in rows.scalars():
            found[f.subject_id].append(FindingRef.model_validate(f))
    return clocks, found
