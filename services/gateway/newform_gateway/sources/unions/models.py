"""The unions read model: one row per subject of unions's events, its latest event."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Field

from newform_common.db import json_field, timestamp_field

from ...models import GatewayModel


class UnionsSubject(GatewayModel, table=True):
    __tablename__ = "unions_subjects"

    subject: str = Field(primary_key=True, max_length=200)
    last_event_type: str = Field(max_length=120)
    last_event_at: datetime = timestamp_field()
    first_event_at: datetime = timestamp_field()
    platform_id: str | None = Field(default=None, max_length=100, index=True)
    worker_id: str | None = Field(default=None, max_length=100, index=True)
    data: dict[str, Any] = json_field()


class UnionsMembership(GatewayModel, table=True):
    """A membership as unions' events last told it (M17): counted per platform and district, never listed.

    `worker_id` (the pseudonymous `w_…` every unions membership event carries) is what matches a member
    to contracts' registrations, so coverage counts members among registered workers (`coverage.py`);
    `district` is the one the worker named when joining a district union, not where they live."""

    __tablename__ = "unions_memberships"

    membership_id: str = Field(primary_key=True, max_length=64)
    union_id: str = Field(max_length=64, index=True)
    worker_id: str | None = Field(default=None, max_length=100, index=True)
    platform_id: str | None = Field(default=None, max_length=100, index=True)
    district: str | None = Field(default=None, max_length=32)
    status: str = Field(max_length=16)
    updated_at: datetime = timestamp_field()


class UnionsConsultation(GatewayModel, table=True):
    """A union's consultation on a platform's rule (M10) and its outcome."""

    __tablename__ = "unions_consultations"

    consultation_id: str = Field(primary_key=True, max_length=64)
    union_id: str = Field(max_length=64)
    platform_id: str = Field(max_length=100, index=True)
    topic: str = Field(max_length=32)
    status: str = Field(max_length=16)
    requested_on: date
    reply_due_on: date | None = None
    replied_on: date | None = None
    outcome: str | None = Field(default=None, max_length=16)
    concluded_on: date | None = None
    updated_at: datetime = timestamp_field()


class UnionsCollectiveContract(GatewayModel, table=True):
    """A collective contract (M17) where it is in its life; in force from `in_force_on` to `ended_on`."""

    __tablename__ = "unions_collective_contracts"

    collective_contract_id: str = Field(primary_key=True, max_length=64)
    union_id: str | None = Field(default=None, max_length=64)
    kind: str | None = Field(default=None, max_length=16)
    platform_ids: list[str] | None = json_field(nullable=True)
    status: str = Field(max_length=16, index=True)
    signed_on: date | None = None
    submitted_on: date | None = None
    late: bool | None = None
    in_force_on: date | None = None
    effective_until: date | None = None
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=16)
    updated_at: datetime = timestamp_field()
