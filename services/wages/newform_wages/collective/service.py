"""Collective contracts from unions' events: wages' copy kept (idempotent: a redelivery changes nothing),
an end recorded (the contract is kept with its end date), and the quotas a contract coming into force
finds in effect judged against it (a quota is a standing rule: from the contract's first day it binds it).

Statements already judged are not judged again (RULES.md, judgement calls): a collective contract binds
from its entry into force (劳动合同法 art. 54), which is when unions publishes it."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.collective import collective_of

from ..quotas.service import judge_collective_quotas
from . import bad_weather_service
from . import repository as repo

log = logging.getLogger(__name__)


async def collective_in_force(session: AsyncSession, row: dict[str, Any], at: datetime) -> None:
    """Store the contract (`unions.collective_contract.in_force.v1`'s data, as wages reads it), then judge
    the covered platforms' quotas of the occupations it agrees a quota for."""
    await repo.upsert_in_force(session, row, at)
    collective = collective_of(row)
    for platform_id in sorted(collective.platform_ids):
        for occupation in sorted({q.occupation for q in collective.quotas}):
            await judge_collective_quotas(session, platform_id, occupation, [collective])
    await session.flush()  # the statements' query reads the platform's contracts as now stored
    await bad_weather_service.judge_collective(session, collective)


async def collective_ended(
    session: AsyncSession, collective_contract_id: str, ended_on: date, reason: str, at: datetime
) -> None:
    """The contract ended (expired, terminated, superseded): kept with its end date."""
    if not await repo.record_end(session, collective_contract_id, ended_on, reason, at):
        log.warning("collective contract %s ended, but it was never in force here; skipped", collective_contract_id)
