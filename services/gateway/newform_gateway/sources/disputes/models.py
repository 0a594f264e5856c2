"""The disputes read models (rebuilt by replaying `disputes.events`, `projection.py`):

- `dispute_complaints`: one row per complaint — platform, category, sector (occupation), district,
  when filed, answered (in time or not), resolved and how (accepted, mediation, department);
- `dispute_cases`: one row per case — its current stage, track, claims, when received and closed,
  and how mediation ended;
- `dispute_clock_expiries`: every legal clock that ran out (kind, subject, platform);
- `dispute_legal_aid`: workers' requests for legal aid, for the justice bureau.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime
from sqlmodel import Field

from ...models import GatewayModel

#: A case in one of these stages (disputes' own words) is closed.
CLOSED_STAGES = ("fulfilled", "withdrawn", "awarded", "settled", "court_referred", "judged")


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class DisputeComplaint(GatewayModel, table=True):
    __tablename__ = "dispute_complaints"

    complaint_id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(max_length=100, index=True)
    category: str = Field(max_length=32)
    occupation: str | None = Field(default=None, max_length=40)
    district: str | None = Field(default=None, max_length=40)
    status: str = Field(max_length=20)  # awaiting_reply | answered | resolved
    filed_at: datetime = _ts(nullable=False)
    answered_at: datetime | None = _ts()
    answered_on_time: bool | None = None
    reply_overdue: bool | None = None
    resolution: str | None = Field(default=None, max_length=20)  # accepted | mediation | department
    escalation_measure: str | None = Field(default=None, max_length=4)
    resolved_at: datetime | None = _ts()


class DisputeCase(GatewayModel, table=True):
    __tablename__ = "dispute_cases"

    case_id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(max_length=100, index=True)
    category: str = Field(max_length=32)
    occupation: str | None = Field(default=None, max_length=40)
    district: str | None = Field(default=None, max_length=40)
    track: str = Field(max_length=32)
    stage: str = Field(max_length=32)
    claims_total_fen: int = 0
    received_at: datetime = _ts(nullable=False)
    stage_at: datetime = _ts(nullable=False)
    closed_at: datetime | None = _ts()
    mediation_outcome: str | None = Field(default=None, max_length=32)  # agreement | no_agreement | withdrawn


class DisputeClockExpiry(GatewayModel, table=True):
    __tablename__ = "dispute_clock_expiries"

    kind: str = Field(primary_key=True, max_length=100)
    subject_id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(max_length=100, index=True)
    due_at: datetime = _ts(nullable=False)
    finding_id: str | None = Field(default=None, max_length=64)


class DisputeLegalAid(GatewayModel, table=True):
    """A worker's request for legal aid, referred to the justice bureau's legal aid centre (M18)."""

    __tablename__ = "dispute_legal_aid"

    case_id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(max_length=100)
    category: str = Field(max_length=32)
    district: str | None = Field(default=None, max_length=40)
    requested_at: datetime = _ts(nullable=False)
