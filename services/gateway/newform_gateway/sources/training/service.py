"""Skills training for the regulator (M13): the subsidy figures the API (`router.py`), the page
(`page.py`) and the scorecards read.

Fed by `projection.py` from `training.events`. Figures add up from one snapshot: paid,
committed (approved, funded or waiting for budget) and refused, per district, occupation, level and
channel (worker or enterprise).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from . import repository
from .schemas import BudgetUse, RefusalRow, SubsidyRow, TrainingSummary


async def summary(session: AsyncSession, year: int | None = None) -> TrainingSummary:
    paid, use, refused, (issued, workers) = await repository.subsidy_figures(session, year)
    return TrainingSummary(
        certificates_issued=issued,
        workers_certified=workers,
        paid=[
            SubsidyRow(district=r[0], occupation=r[1], level=r[2], channel=r[3], claims=r[4], amount_fen=r[5])
            for r in paid
        ],
        budget_use=[
            BudgetUse(district=r[0], year=r[1], paid_fen=r[2], committed_fen=r[3], waiting_for_budget=r[4]) for r in use
        ],
        refused=[RefusalRow(reason=r[0] or "review", claims=r[1]) for r in refused],
    )  # no rule: refused on review


async def workers_trained_of(session: AsyncSession, platform_ids: list[str]) -> dict[str, int]:
    """{platform: its registered workers who hold a skill certificate} (the scorecards' training figure)."""
    return await repository.workers_trained_of(session, platform_ids)
