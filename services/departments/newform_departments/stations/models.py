"""Rest stations and workers' reports on them (M14). A station has no lifecycle beyond its versions (a
keeper restates it); a report moves open → handled, or open → overdue (the handling clock ran out) →
handled."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field

from newform_common.db import json_field, timestamp_field
from newform_common.states import transitions

from ..models import ServiceModel


class ReportStatus(StrEnum):
    open = "open"
    overdue = "overdue"
    handled = "handled"


ALLOWED = transitions(
    {
        ReportStatus.open: {ReportStatus.handled, ReportStatus.overdue},
        ReportStatus.overdue: {ReportStatus.handled},
        ReportStatus.handled: set(),
    }
)


class RestStation(ServiceModel, table=True):
    """A station as its keeper last stated it; natural key (keeper, reference)."""

    __tablename__ = "rest_stations"
    __table_args__ = (
        UniqueConstraint("keeper", "reference", name="uq_rest_stations_keeper_reference"),
        Index("ix_rest_stations_district", "district"),
    )

    id: str = Field(primary_key=True, max_length=40)
    # The keeping department as it acts: `urban`, or a district government `county:<district>`.
    keeper: str = Field(max_length=40)
    reference: str = Field(max_length=100)
    name: str = Field(max_length=200)
    address: str = Field(max_length=300)
    district: str = Field(max_length=32)
    lat: float
    lon: float
    amenities: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(String(32)), nullable=False))
    hours: dict[str, Any] = json_field()
    phone: str | None = Field(default=None, max_length=40)
    version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class StationReport(ServiceModel, table=True):
    """A worker's report that a station was closed, full, broken or otherwise unusable: an alert for its
    keeper, with a handling clock (deadline kind `departments.station_report`)."""

    __tablename__ = "rest_station_reports"
    __table_args__ = (Index("ix_rest_station_reports_keeper", "keeper", "status"),)

    id: str = Field(primary_key=True, max_length=40)
    station_id: str = Field(max_length=40, index=True)
    keeper: str = Field(max_length=40)
    district: str = Field(max_length=32)
    worker_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=500)
    status: str = Field(default=ReportStatus.open, max_length=16)
    reported_at: datetime = timestamp_field()
    due_at: datetime = timestamp_field()
    handled_at: datetime | None = timestamp_field(nullable=True)
    handled_note: str | None = Field(default=None, max_length=500)
    finding_id: str | None = Field(default=None, max_length=40)
