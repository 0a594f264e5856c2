"""Wages' own models of the contracts events it reads (only the fields it uses).

Checked against contracts' committed schemas by tests/common/test_consumed_events.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from newform_common.consumed import ConsumedEvent, consumes

from .engagements.models import EngagementStatus


class PaySchedule(BaseModel):
    """The agreed pay period and pay day (contracts' terms.pay_schedule): arrears count from its end."""

    period: Literal["day", "week", "month"]
    month_start_day: int = 1
    day_of_month: int | None = None
    month_offset: int = 1
    days_after_period_end: int | None = None


@consumes("contracts.contract.drafted.v1")
class ContractDrafted(ConsumedEvent):
    contract_id: str
    worker_id: str
    platform_id: str
    enterprise_id: str
    engagement_type: str
    part_time: bool
    occupation: str
    district: str
    start_date: date
    end_date: date | None = None
    pay_period: str
    drafted_at: datetime
    pay_schedule: PaySchedule | None = None
    hours_arrangement: str | None = None


class ContractTransition(ConsumedEvent):
    contract_id: str
    worker_id: str
    platform_id: str
    enterprise_id: str
    engagement_type: str
    at: datetime


@consumes("contracts.contract.sent.v1")
class ContractSent(ContractTransition):
    pass


@consumes("contracts.contract.signed.v1")
class ContractSigned(ContractTransition):
    pass


@consumes("contracts.contract.terminated.v1")
class ContractTerminated(ContractTransition):
    pass


@consumes("contracts.contract.expired.v1")
class ContractExpired(ContractTransition):
    pass


@consumes("contracts.contract.discarded.v1")
class ContractDiscarded(ContractTransition):
    """A draft discarded before it was sent: never an engagement to be paid under."""


#: Event type -> the engagement status it leaves.
STATUS_AFTER = {
    "contracts.contract.drafted.v1": EngagementStatus.draft,
    "contracts.contract.sent.v1": EngagementStatus.sent,
    "contracts.contract.signed.v1": EngagementStatus.signed,
    "contracts.contract.terminated.v1": EngagementStatus.terminated,
    "contracts.contract.expired.v1": EngagementStatus.expired,
    "contracts.contract.discarded.v1": EngagementStatus.discarded,
}
MODELS = {
    m.event_type: m
    for m in (ContractDrafted, ContractSent, ContractSigned, ContractTerminated, ContractExpired, ContractDiscarded)
}
