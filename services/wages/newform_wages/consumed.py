"""Wages' own models of the events it reads (only the fields it uses): contracts' engagements, and the
unions' collective contracts in force and ended (their standards bind pay and quotas, 劳动合同法 art. 55), and
the emergency department's bad-weather warnings (departments.events; M8).

Checked against the producers' committed schemas by tests/common/test_consumed_events.py.
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


class PieceRateTerm(BaseModel):
    occupation: str
    order_type: str
    min_rate_fen: int


class QuotaTerm(BaseModel):
    occupation: str
    max_orders_per_day: int


class CollectiveTerms(BaseModel):
    """The agreed standards wages judges against (the others are not wages' concern)."""

    piece_rates: list[PieceRateTerm] = []
    quotas: list[QuotaTerm] = []
    bad_weather_allowance_fen_per_day: int | None = None
    night_allowance_fen_per_hour: int | None = None


@consumes("unions.collective_contract.in_force.v1")
class CollectiveContractInForce(ConsumedEvent):
    collective_contract_id: str
    union_id: str
    kind: str
    platform_ids: list[str]
    districts: list[str] = []
    occupations: list[str] = []
    effective_from: date
    effective_until: date | None = None
    in_force_on: date
    terms: CollectiveTerms


@consumes("unions.collective_contract.ended.v1")
class CollectiveContractEnded(ConsumedEvent):
    collective_contract_id: str
    ended_on: date
    reason: str


@consumes("departments.weather_warning.issued.v1")
class WeatherWarningIssued(ConsumedEvent):
    """The emergency department's bad-weather warning as it now stands (M8): a red one's window is judged
    against the work sessions in its district."""

    fact_id: str
    reference: str
    version: int
    district: str
    level: str
    hazard: str
    starts_at: datetime
    ends_at: datetime | None = None
    cancelled_at: datetime | None = None
