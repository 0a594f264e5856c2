"""The queries of M8 in bad weather: contracts' copy of the warnings, the platforms a warning concerns, the
platforms' responses."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.locks import lock_keys
from newform_common.pagination import PageParams, keyset

from ..models import LIVE_CONTRACT, Contract, RuleNotice, WeatherResponse, WeatherWarning
from ..repository import visible_page


async def lock_warning(session: AsyncSession, warning_id: str) -> None:
    """Orders a warning's new statement and the platforms' responses to it: both decide from the responses
    present (a clock started or not), so side by side one could miss the other."""
    await lock_keys(session, "contracts-weather-warning", [warning_id])


async def warning(session: AsyncSession, warning_id: str, *, for_update: bool = False) -> WeatherWarning | None:
    query = select(WeatherWarning).where(WeatherWarning.warning_id == warning_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def warnings(
    session: AsyncSession, params: PageParams, *, district: str | None, level: str | None
) -> list[WeatherWarning]:
    query = select(WeatherWarning)
    if district:
        query = query.where(WeatherWarning.district == district)
    if level:
        query = query.where(WeatherWarning.level == level)
    return list((await session.execute(keyset(query, WeatherWarning.warning_id, params))).scalars())


async def platforms_in_district(session: AsyncSession, district: str, on: date) -> list[str]:
    """The platforms that engage workers in the district on the day: a live (sent or signed) contract whose
    place of work is the district and whose term covers the day."""
    query = (
        select(Contract.platform_id)
        .distinct()
        .where(
            Contract.district == district,
            Contract.status.in_([s.value for s in LIVE_CONTRACT]),
            Contract.start_date <= on,
            or_(Contract.end_date.is_(None), Contract.end_date >= on),
        )
    )
    return sorted((await session.execute(query)).scalars())


async def responding_platforms(session: AsyncSession, warning_id: str) -> set[str]:
    query = select(WeatherResponse.platform_id).distinct().where(WeatherResponse.warning_id == warning_id)
    return set((await session.execute(query)).scalars())


async def rule_notice_of(session: AsyncSession, notice_id: str, platform_id: str) -> RuleNotice | None:
    query = select(RuleNotice).where(RuleNotice.id == notice_id, RuleNotice.platform_id == platform_id)
    return (await session.execute(query)).scalar_one_or_none()


async def responses(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    platform_id: str | None,
    warning_id: str | None,
) -> list[WeatherResponse]:
    return await visible_page(session, WeatherResponse, principal, params, platform_id, warning_id=warning_id)
