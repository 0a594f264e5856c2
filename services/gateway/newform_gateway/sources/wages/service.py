"""The regulator's view of wages: pay compliance per platform and month, arrears by district and
occupation (with their trend), working time over the limits and quota results — what the API
(`router.py`), the page (`page.py`) and the scorecards read.

Read from the wages read models (`models.py`) and from the alerts wages' findings became (arrears and
working-time breaches are findings). Aggregates only: no worker is named here.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from . import repository
from .schemas import Arrears, ArrearsGroup, ArrearsMonth, PayCompliance, WorkingTime

ARREARS_RULE = repository.ARREARS_RULE


async def pay_compliance(
    session: AsyncSession, platform_id: str | None = None, month: str | None = None
) -> list[PayCompliance]:
    return [PayCompliance(**r) for r in await repository.pay_compliance(session, platform_id, month)]


async def arrears(session: AsyncSession) -> Arrears:
    """Arrears alerts (from wages' M6.wage_arrears findings), by district and occupation, and per month."""
    groups = await repository.arrears_by_group(session)
    trend = await repository.arrears_by_month(session)
    return Arrears(by_group=[ArrearsGroup(**r) for r in groups], trend=[ArrearsMonth(**r) for r in trend])


async def working_time(session: AsyncSession) -> WorkingTime:
    breaches = await repository.working_time_breaches(session)
    workers = await repository.workers_over_limits(session)
    days, met = await repository.quota_days(session)
    return WorkingTime(breaches_by_rule=breaches, workers_over_limits=workers, quota_days=days, quota_days_met=met)


async def pay_numbers_of(session: AsyncSession, platform_ids: list[str]) -> dict[str, tuple[int, int]]:
    """{platform: (judged statements, of which compliant: minimum wage met, paid on time, no breach)} for the
    scorecards."""
    return await repository.pay_numbers_of(session, platform_ids)
