"""Engagements from contracts' events: the local copy kept up to date, the pay-period clocks of a signed
contract started (from its start date), what an ended contract makes due on its last day, and the
statements that waited for their engagement judged."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.consumed import ConsumedEvent
from newform_common.policy import business_date

from ..consumed import STATUS_AFTER
from ..statements.clocks import due_when_employment_ends, schedule_period_clocks
from ..statements.service import judge_pending
from . import repository as repo
from .models import EngagementStatus

log = logging.getLogger(__name__)

DRAFTED = "contracts.contract.drafted.v1"
SIGNED = "contracts.contract.signed.v1"
TERMINATED = "contracts.contract.terminated.v1"
EXPIRED = "contracts.contract.expired.v1"

#: One contract event of a batch: its type, its data as wages reads it, and when it happened.
ContractEvent = tuple[str, ConsumedEvent, datetime]


def _drafted(event: Any, current: dict[str, Any] | None) -> dict[str, Any]:
    """The engagement a drafted contract describes (a later status, arrived first, is kept)."""
    return {
        "contract_id": event.contract_id,
        "worker_id": event.worker_id,
        "platform_id": event.platform_id,
        "enterprise_id": event.enterprise_id,
        "engagement_type": event.engagement_type,
        "part_time": event.part_time,
        "occupation": event.occupation,
        "district": event.district,
        "start_date": event.start_date,
        "end_date": event.end_date,
        "pay_period": event.pay_period,
        "pay_schedule": event.pay_schedule.model_dump() if event.pay_schedule else None,
        "hours_arrangement": event.hours_arrangement,
        "status": current["status"] if current else EngagementStatus.draft,
    }


async def _apply(
    session: AsyncSession,
    touched: dict[str, dict[str, Any]],
    ended: dict[str, date],
    event_type: str,
    event: Any,
    at: datetime,
) -> None:
    """One event onto the batch's engagements (`touched`), noting the last day of an ended one."""
    current = touched.get(event.contract_id)
    if current is None:
        current = await repo.engagement(session, event.contract_id)
    if event_type == DRAFTED:
        current = _drafted(event, current)
    elif current is None:
        log.warning("%s for unknown contract %s (drafted event missing); skipped", event_type, event.contract_id)
        return
    else:
        current = {**current, "status": STATUS_AFTER[event_type]}
        if event_type in (TERMINATED, EXPIRED):
            terminated_on = business_date(event.at) if event_type == TERMINATED else None
            days = [d for d in (terminated_on, current["end_date"]) if d is not None]
            current["end_date"] = ended[event.contract_id] = min(days) if days else business_date(event.at)
    current["updated_at"] = at
    touched[event.contract_id] = current
    if event_type == SIGNED:
        # from the start date, even when signed later (a back-dated contract's first months are owed too, W-11)
        await schedule_period_clocks(session, current, current["start_date"])


async def apply_contract_events(session: AsyncSession, events: Sequence[ContractEvent]) -> None:
    """The consumer's batch: upsert engagements, then judge statements that waited for them."""
    touched: dict[str, dict[str, Any]] = {}
    ended: dict[str, date] = {}  # contract -> the last day of its employment (terminated or expired)
    for event_type, event, at in events:
        await _apply(session, touched, ended, event_type, event, at)
    if not touched:
        return
    rows = list(touched.values())
    await repo.lock_contracts(session, touched, shared=False)  # see repository.lock_contracts
    await repo.upsert_engagements(session, rows)
    for contract_id, last in ended.items():
        await due_when_employment_ends(session, touched[contract_id], last)
    await judge_pending(session, rows)
