"""The training read models: subsidy claims and skill certificates (M13), from `training.events`."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field

from newform_common.db import timestamp_field

from ...models import GatewayModel

#: Claim statuses (training's own words) that commit budget, and those that refuse the claim.
COMMITTED = ("approved", "queued", "paid")
REFUSED = ("rejected", "refused")


class TrainingClaim(GatewayModel, table=True):
    __tablename__ = "training_claims"

    claim_id: str = Field(primary_key=True, max_length=64)
    certificate_number: str = Field(max_length=64, index=True)
    worker_id: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=16)
    payee: str = Field(max_length=16)
    platform_id: str | None = Field(default=None, max_length=64)
    provider_id: str | None = Field(default=None, max_length=64)
    occupation: str = Field(max_length=32)
    level: int
    district: str = Field(max_length=32)
    amount_fen: int
    status: str = Field(max_length=16, index=True)
    reason: str | None = None
    rule: str | None = Field(default=None, max_length=100)
    year: int | None = None
    submitted_at: datetime | None = timestamp_field(nullable=True)
    decided_at: datetime | None = timestamp_field(nullable=True)
    paid_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = timestamp_field()


class TrainingCertificate(GatewayModel, table=True):
    __tablename__ = "training_certificates"

    certificate_number: str = Field(primary_key=True, max_length=64)
    worker_id: str = Field(max_length=64, index=True)
    body_id: str = Field(max_length=64)
    occupation: str = Field(max_length=32)
    level: int
    issued_on: date
    provider_id: str | None = Field(default=None, max_length=64)
