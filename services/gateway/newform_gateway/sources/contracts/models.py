"""The contracts read models: enterprises (platforms and cooperating enterprises), worker registrations,
contracts, account restrictions and rule notices, in contracts' own words (`projection.py` writes them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Field

from ...models import GatewayModel, json_column, ts_field


class Enterprise(GatewayModel, table=True):
    __tablename__ = "enterprises"

    enterprise_id: str = Field(primary_key=True, max_length=100)
    name: str
    kind: str = Field(max_length=40)
    platform_id: str = Field(max_length=100, index=True)
    credit_code: str | None = Field(default=None, max_length=40)
    district: str | None = Field(default=None, max_length=40)
    occupations: list[str] = json_column(list)
    dispatch_licence_valid_until: date | None = None
    qualified: bool | None = None
    registered_at: datetime | None = ts_field(nullable=True)


class WorkerRegistration(GatewayModel, table=True):
    """A worker's registration on a platform; `active` while no cancellation of it is in effect (M5: a
    cancel not lifted; `repository.refresh_registrations`)."""

    __tablename__ = "worker_registrations"

    registration_id: str = Field(primary_key=True, max_length=100)
    worker_id: str = Field(max_length=100, index=True)
    platform_id: str = Field(max_length=100, index=True)
    occupation: str | None = Field(default=None, max_length=40)
    residence_district: str | None = Field(default=None, max_length=40)
    household_registration_region: str | None = Field(default=None, max_length=6)
    registered_at: datetime | None = ts_field(nullable=True)
    active: bool = True


class ContractView(GatewayModel, table=True):
    """A contract or agreement (M1–M4) and where it is in its life."""

    __tablename__ = "contracts"

    contract_id: str = Field(primary_key=True, max_length=100)
    worker_id: str = Field(max_length=100, index=True)
    platform_id: str = Field(max_length=100, index=True)
    enterprise_id: str | None = Field(default=None, max_length=100)
    engagement_type: str = Field(max_length=40)
    part_time: bool | None = None
    occupation: str | None = Field(default=None, max_length=40)
    district: str | None = Field(default=None, max_length=40)
    start_date: date | None = None
    end_date: date | None = None
    pay_period: str | None = Field(default=None, max_length=10)
    insurance: dict[str, Any] = json_column(dict)
    # In contracts' words: draft | sent | signed | terminated | expired | discarded
    status: str = Field(default="draft", max_length=20)
    drafted_at: datetime | None = ts_field(nullable=True)
    status_at: datetime | None = ts_field(nullable=True)
    document_sha256: str | None = Field(default=None, max_length=64)


class AccountRestriction(GatewayModel, table=True):
    """A restriction or cancellation of a registration (M5) and its lift; whichever of the two events comes
    first makes the row (`action` None: only the lift is known yet)."""

    __tablename__ = "account_restrictions"

    restriction_id: str = Field(primary_key=True, max_length=100)
    worker_id: str = Field(max_length=100, index=True)
    platform_id: str = Field(max_length=100, index=True)
    action: str | None = Field(default=None, max_length=20)
    reason_code: str | None = Field(default=None, max_length=100)
    reason_listed: bool | None = None
    notice_days: int | None = None
    effective_at: datetime | None = ts_field(nullable=True)
    lifted_at: datetime | None = ts_field(nullable=True)
    lifted_by_role: str | None = Field(default=None, max_length=40)


class RuleNotice(GatewayModel, table=True):
    """A platform's published rule or algorithm notice (M10)."""

    __tablename__ = "rule_notices"

    notice_id: str = Field(primary_key=True, max_length=100)
    platform_id: str = Field(max_length=100, index=True)
    topic: str = Field(max_length=40)
    version: int = 1
    consulted: bool = False
    published_on: date | None = None
    effective_on: date | None = None


class WeatherResponse(GatewayModel, table=True):
    """A platform's declared response to a bad-weather warning (M8; contracts.weather_response.declared.v1):
    what it did about dispatch and completion times, and when."""

    __tablename__ = "weather_responses"

    response_id: str = Field(primary_key=True, max_length=40)
    warning_id: str = Field(max_length=40, index=True)
    platform_id: str = Field(max_length=100)
    district: str = Field(max_length=40)
    level: str = Field(max_length=8)
    dispatch: str = Field(max_length=16)  # limited | suspended | unchanged
    completion_time_extended_minutes: int
    rule_notice_id: str | None = Field(default=None, max_length=100)
    taken_at: datetime = ts_field()
    declared_at: datetime = ts_field()
