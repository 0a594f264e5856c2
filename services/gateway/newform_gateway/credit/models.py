"""The credit tables (M6, M19): bad-conduct records, listings on the wage-arrears list, and the ends of
entries ended early."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy import Column as SAColumn
from sqlmodel import Field
from sqlmodel import Field as Column

from newform_common.db import json_field, timestamp_field

from ..models import GatewayModel, json_column, ts_field


class CreditRecord(GatewayModel, table=True):
    """A confirmed finding entered into credit records (M6, M19), with its evidence chain."""

    __tablename__ = "credit_records"

    record_id: str = Field(primary_key=True, max_length=100)
    alert_id: str = Field(max_length=100, unique=True)
    measure: str = Field(max_length=4)
    rule: str = Field(max_length=200)
    subject_type: str = Field(max_length=60)
    subject_id: str = Field(max_length=200)
    platform_id: str | None = Field(default=None, max_length=100)
    enterprise_id: str | None = Field(default=None, max_length=100)
    summary: str
    evidence_chain: list[dict[str, Any]] = json_column(list)
    confirmed_by: str = Field(max_length=200)
    confirmed_at: datetime = ts_field()
    #: Whose credit the record is (the related unit's own credit code, or the enterprise's): never the
    #: platform in its place. Null while the subject is unknown: the record is held, not exported.
    subject_credit_code: str | None = Field(default=None, max_length=40)
    subject_name: str | None = Field(default=None, max_length=200)
    #: When the gateway knew the subject (the export's day for the record); null while held.
    subject_known_at: datetime | None = ts_field(nullable=True)
    #: One debt, one record (W-2): the debt's key for arrears records (unique), else null.
    debt_key: str | None = Field(default=None, max_length=300, unique=True)
    #: The sources the record rests on, as in force on the day it was decided (credit.record_basis).
    basis: dict[str, Any] = json_column(dict)


class CreditListing(GatewayModel, table=True):
    """A listing on the wage-arrears joint-punishment list, decided by hrss on a verified order to pay."""

    __tablename__ = "credit_listings"

    listing_id: str = Column(primary_key=True, max_length=100)
    subject_credit_code: str = Column(max_length=40, index=True)
    subject_name: str | None = Column(default=None, max_length=200)
    inspection_fact_id: str = Column(max_length=40, unique=True)
    order_reference: str = Column(max_length=100)
    condition: str = Column(max_length=80)
    arrears_fen: int = Column(sa_column=SAColumn(BigInteger, nullable=False))
    decided_on: date
    valid_until: date
    issuing_department: str = Column(max_length=60)
    actor: str = Column(max_length=200)
    record_ids: list[str] = json_field()
    basis: dict[str, Any] = json_field()
    note: str | None = None
    event_id: str = Column(max_length=64, unique=True)
    at: datetime = timestamp_field()


class CreditListingEnd(GatewayModel, table=True):
    """A listing ended before its term: repaired (信用修复) or removed on review."""

    __tablename__ = "credit_listing_ends"

    record_id: str = Column(primary_key=True, max_length=100)
    kind: str = Column(max_length=16)  # repair | removal
    ended_on: date
    reason: str
    actor: str = Column(max_length=200)
    actor_department: str | None = Column(default=None, max_length=60)
    event_id: str = Column(max_length=64, unique=True)
    at: datetime = timestamp_field()
    corrected_on: date | None = None
    requested_on: date | None = None
