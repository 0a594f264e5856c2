"""Collective contracts from unions' events: contracts' copy kept (idempotent: a redelivery changes nothing)
and an end recorded (kept with its end date). Contracts drafted before a collective contract comes into
force are not judged again (RULES.md, judgement calls): the collective standard binds them by law
(劳动合同法 art. 55) and wages judges the pay actually paid against it; the finding here is on what a
platform drafts when the standard is known."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from . import repository as repo

log = logging.getLogger(__name__)


async def collective_in_force(session: AsyncSession, row: dict[str, Any], at: datetime) -> None:
    """Store the contract (`unions.collective_contract.in_force.v1`'s data, as contracts reads it)."""
    await repo.upsert_in_force(session, row, at)


async def collective_ended(
    session: AsyncSession, collective_contract_id: str, ended_on: date, reason: str, at: datetime
) -> None:
    """The contract ended (expired, terminated, superseded): kept with its end date."""
    if not await repo.record_end(session, collective_contract_id, ended_on, reason, at):
        log.warning("collective contract %s ended, but it was never in force here; skipped", collective_contract_id)
