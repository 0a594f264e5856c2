"""The engagements table and an engagement's states (contracts' own words)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field

from ..models import ServiceModel, json_column, timestamp


class EngagementStatus(StrEnum):
    """The contract's status in contracts' own words (its `ContractStatus`; stored `drafted` before
    wages_0003). Contracts owns the transitions (its `ALLOWED`); a consumer records the producer's word
    in the order the events come, so wages checks none."""

    draft = "draft"
    sent = "sent"
    signed = "signed"
    terminated = "terminated"
    expired = "expired"
    discarded = "discarded"


#: The states in which an engagement's employment is over (its wages due on the last day, art. 9).
ENDED = (EngagementStatus.terminated, EngagementStatus.expired)


class Engagement(ServiceModel, table=True):
    """A contract as wages needs it, with its agreed pay day (`pay_schedule`, as data) and hours arrangement."""

    __tablename__ = "engagements"
    __table_args__ = (
        Index("ix_engagements_worker", "worker_id"),
        Index("ix_engagements_platform", "platform_id", "status"),
    )

    contract_id: str = Field(primary_key=True, max_length=64)
    worker_id: str = Field(max_length=64)
    platform_id: str = Field(max_length=64)
    enterprise_id: str = Field(max_length=64)
    engagement_type: str = Field(max_length=32)
    part_time: bool
    occupation: str = Field(max_length=32)
    district: str = Field(max_length=32)
    start_date: date
    end_date: date | None = None
    pay_period: str = Field(max_length=8)
    status: str = Field(max_length=16)
    updated_at: datetime = timestamp()
    pay_schedule: dict[str, Any] | None = json_column(nullable=True)
    hours_arrangement: str | None = Field(default=None, max_length=16)
