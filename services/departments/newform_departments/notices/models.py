"""Notices for workers and this service's copy of workers' registrations (from contracts.events)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field

from newform_common.db import timestamp_field

from ..models import ServiceModel


class Notice(ServiceModel, table=True):
    """A notice as its publisher last stated it; natural key (publisher, reference)."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("publisher", "reference", name="uq_notices_publisher_reference"),
        Index("ix_notices_validity", "valid_from", "valid_until"),
    )

    id: str = Field(primary_key=True, max_length=40)
    publisher: str = Field(max_length=40)  # `hrss`, or a district government `county:<district>`
    reference: str = Field(max_length=100)
    kind: str = Field(max_length=32)
    measure: str = Field(max_length=4)
    title: str = Field(max_length=200)
    body: str
    contact: str | None = Field(default=None, max_length=200)
    valid_from: date
    valid_until: date | None = None
    # Empty: every district / every occupation.
    districts: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(String(32)), nullable=False))
    occupations: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(String(32)), nullable=False))
    version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class WorkerRegistration(ServiceModel, table=True):
    """A worker's registration on a platform as contracts published it; inactive while a cancellation of
    the account (M5) stands. A worker's district is the residence district of the latest active one."""

    __tablename__ = "worker_registrations"
    __table_args__ = (Index("ix_worker_registrations_worker", "worker_id", "platform_id"),)

    registration_id: str = Field(primary_key=True, max_length=100)
    worker_id: str = Field(max_length=64)
    platform_id: str = Field(max_length=100)
    occupation: str = Field(max_length=40)
    residence_district: str = Field(max_length=32)
    registered_at: datetime = timestamp_field()
    active: bool = True
    cancelled_by: str | None = Field(default=None, max_length=100)  # the restriction that cancelled it
