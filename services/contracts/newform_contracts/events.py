"""The events the contracts service publishes on `contracts.events` (the catalogue in the brief,
shared with the gateway). Workers appear only by their pseudonymous id; never an ID number or phone.

The JSON Schemas of these models are committed under `event_schemas/`; `write_event_schemas()`
regenerates them and a test checks every model stays backward compatible with them.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from newform_common import events
from newform_common.events import DomainEvent, event_type, registry
from newform_common.findings import finding_event
from newform_common.schedules import deadline_recomputed_event

EnterpriseKind = Literal["platform", "dispatch_agency", "outsourcer", "franchisee", "agent"]
EngagementType = Literal["labor_contract", "work_agreement", "civil"]
PayPeriod = Literal["hour", "day", "week", "month"]
Signer = Literal["worker", "enterprise"]
HoursArrangement = Literal["standard", "comprehensive", "flexible", "part_time"]
RuleTopic = Literal[
    "platform_entry_exit",
    "order_allocation",
    "piece_rates",
    "commission_ratio",
    "pay_composition",
    "working_hours",
    "rewards_penalties",
]

SCHEMA_DIR = Path(__file__).parent / "event_schemas"


class SafetyIndicators(BaseModel):
    """A rule's safety-relevant performance indicators as numbers (M8: 不得制定损害劳动者安全健康的考核指标);
    each is optional, a rule states those it sets."""

    model_config = ConfigDict(extra="forbid")

    min_delivery_time_limit_minutes: int | None = Field(
        None, ge=0, le=10_000, description="The shortest delivery (completion) time limit the rule sets, minutes"
    )
    on_time_rate_target_percent: int | None = Field(
        None, ge=0, le=100, description="The punctuality (on-time rate) target workers are assessed against"
    )
    online_rate_target_percent: int | None = Field(None, ge=0, le=100, description="The online-rate target")
    late_penalty_fen: int | None = Field(None, ge=0, le=10**9, description="The penalty per late order (fen)")


@event_type("contracts.enterprise.registered.v1", key="enterprise_id")
class EnterpriseRegistered(DomainEvent):
    """A platform or a cooperating enterprise was registered."""

    enterprise_id: str
    name: str
    kind: EnterpriseKind
    platform_id: str
    credit_code: str
    district: str
    occupations: list[str]
    dispatch_licence_valid_until: date | None
    qualified: bool
    registered_at: datetime


@event_type("contracts.worker.registered.v1", key="worker_id")
class WorkerRegistered(DomainEvent):
    """A platform registered a worker (pseudonymous id; same person, same id on every platform)."""

    worker_id: str
    registration_id: str
    platform_id: str
    occupation: str
    residence_district: str
    household_registration_region: str
    registered_at: datetime


class InsuranceFlags(BaseModel):
    work_injury: bool
    occupational_injury: bool
    accident: bool


class PaySchedule(BaseModel):
    """The agreed pay period and pay day as data (工资支付暂行规定 art. 7: wages are paid on the day
    agreed; the measures item 6: 按约定时间足额支付). Wages counts arrears from the end of this day.

    Monthly: a pay month runs from `month_start_day` to the day before it in the next month (1: the
    calendar month); pay is due on `day_of_month` of the month `month_offset` months after the month
    the pay month ends in (a shorter month pays on its last day). Daily or weekly (ISO week): pay is
    due `days_after_period_end` days after the period's last day."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"period": "month", "month_start_day": 1, "day_of_month": 15, "month_offset": 1}]
        },
    )

    period: Literal["day", "week", "month"]
    month_start_day: int = Field(
        1,
        ge=1,
        le=28,
        description="Monthly: the first day of a pay month (1: calendar "
        "month; 16: the 16th to the 15th of the next month)",
    )
    day_of_month: int | None = Field(None, ge=1, le=31, description="Monthly: the agreed pay day of the month")
    month_offset: int = Field(
        1, ge=0, le=1, description="Monthly: 0 = in the month the pay month ends, 1 = the month after"
    )
    days_after_period_end: int | None = Field(
        None, ge=0, le=31, description="Daily or weekly: pay is due this many days after the period ends"
    )

    @model_validator(mode="after")
    def _complete(self) -> PaySchedule:
        if self.period == "month":
            if self.day_of_month is None:
                raise ValueError("a monthly pay schedule needs day_of_month")
            if self.days_after_period_end is not None:
                raise ValueError("days_after_period_end is for daily or weekly pay; use day_of_month")
            last_day = 31 if self.month_start_day == 1 else self.month_start_day - 1
            if self.month_offset == 0 and self.day_of_month < last_day:
                raise ValueError(
                    f"pay day {self.day_of_month} falls before the pay month ends (on day {last_day}): "
                    "use month_offset 1"
                )
        else:
            if self.days_after_period_end is None:
                raise ValueError(f"a {self.period}ly pay schedule needs days_after_period_end")
            if self.day_of_month is not None or self.month_start_day != 1 or self.month_offset != 1:
                raise ValueError("day_of_month, month_start_day and month_offset are for monthly pay")
        return self


@event_type("contracts.contract.drafted.v1", key="worker_id")
class ContractDrafted(DomainEvent):
    """A contract or agreement was drafted."""

    contract_id: str
    worker_id: str
    platform_id: str
    enterprise_id: str
    engagement_type: EngagementType
    part_time: bool
    occupation: str
    district: str
    start_date: date
    end_date: date | None
    pay_period: PayPeriod
    insurance: InsuranceFlags
    drafted_at: datetime
    pay_schedule: PaySchedule | None = Field(
        None, description="The agreed pay period and pay day, as data (absent: none agreed)"
    )
    hours_arrangement: HoursArrangement | None = Field(
        None, description="standard | comprehensive | flexible | part_time (劳动法 arts. 36, 39)"
    )


class _ContractTransition(DomainEvent):
    contract_id: str
    worker_id: str
    platform_id: str
    enterprise_id: str
    engagement_type: EngagementType
    at: datetime


@event_type("contracts.contract.sent.v1", key="worker_id")
class ContractSent(_ContractTransition):
    """A drafted contract was sent to the worker for signing."""


@event_type("contracts.contract.signed.v1", key="worker_id")
class ContractSigned(_ContractTransition):
    """Both parties signed; the contract is in force."""

    document_sha256: str
    signed_by: list[Signer]


@event_type("contracts.contract.terminated.v1", key="worker_id")
class ContractTerminated(_ContractTransition):
    """A signed contract was terminated."""

    reason: str


@event_type("contracts.contract.discarded.v1", key="worker_id")
class ContractDiscarded(_ContractTransition):
    """The platform discarded a draft that was never sent; its provisional findings are withdrawn."""

    withdrawn_findings: int


@event_type("contracts.contract.expired.v1", key="worker_id")
class ContractExpired(_ContractTransition):
    """A signed contract reached the end of its term."""


@event_type("contracts.account.restricted.v1", key="worker_id")
class AccountRestricted(DomainEvent):
    """A platform restricted or cancelled a worker's registration (for the disputes service, M5)."""

    restriction_id: str
    worker_id: str
    platform_id: str
    action: Literal["restrict", "cancel"]
    reason_code: str
    reason_listed: bool
    notice_days: int
    effective_at: datetime


@event_type("contracts.account.restriction_appealed.v1", key="worker_id")
class RestrictionAppealed(DomainEvent):
    """A worker appealed against a restriction or cancellation of his registration (M5)."""

    appeal_id: str
    restriction_id: str
    worker_id: str
    platform_id: str
    submitted_at: datetime


@event_type("contracts.account.restriction_lifted.v1", key="worker_id")
class RestrictionLifted(DomainEvent):
    """A restriction or cancellation was lifted: the registration is active again (M5)."""

    restriction_id: str
    worker_id: str
    platform_id: str
    lifted_by_role: str
    lifted_at: datetime


@event_type("contracts.rule_notice.published.v1", key="platform_id")
class RuleNoticePublished(DomainEvent):
    """A platform published a version of a rule or algorithm (M10)."""

    notice_id: str
    platform_id: str
    topic: RuleTopic
    version: int
    consulted: bool
    published_on: date
    effective_on: date
    safety_indicators: SafetyIndicators | None = None


@event_type("contracts.weather_response.declared.v1", key="platform_id")
class WeatherResponseDeclared(DomainEvent):
    """A platform declared what it did for a bad-weather warning (M8): dispatch limited or suspended (or
    unchanged), completion times extended by how many minutes, the rule notice that records the change."""

    response_id: str
    warning_id: str
    warning_reference: str
    district: str
    level: str
    platform_id: str
    dispatch: Literal["limited", "suspended", "unchanged"]
    completion_time_extended_minutes: int
    rule_notice_id: str | None = None
    taken_at: datetime
    declared_at: datetime


#: A rule was found broken in an accepted fact (contracts, restrictions, rule notices).
ContractsFindingRaised = finding_event("contracts")
DeadlineRecomputed = deadline_recomputed_event("contracts")  # a clock recomputed when a holiday schedule loads


def contract_event_types() -> list[str]:
    return registry.types("contracts")


def current_schemas() -> dict[str, dict]:
    return registry.json_schemas("contracts")


def write_event_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write one `<type>.json` per event type (run when adding a type or a new version)."""
    return events.write_event_schemas("contracts", directory)


if __name__ == "__main__":
    for p in write_event_schemas():
        print(p)
