"""The department-facts read model: one row per fact a department stated, its latest version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field

from newform_common.db import json_field, timestamp_field

from ...models import GatewayModel


class DepartmentFact(GatewayModel, table=True):
    __tablename__ = "department_facts"

    fact_id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=40, index=True)
    department: str = Field(max_length=32)
    reference: str = Field(max_length=100)
    subject_key: str = Field(max_length=64, index=True)
    version: int
    fields: dict[str, Any] = json_field()
    observed_at: datetime = timestamp_field()
    recorded_at: datetime = timestamp_field()


class DepartmentRestStation(GatewayModel, table=True):
    """A rest station (M14) as its keeper last stated it (departments.rest_station.registered|updated.v1)."""

    __tablename__ = "department_rest_stations"

    station_id: str = Field(primary_key=True, max_length=40)
    keeper: str = Field(max_length=40)
    name: str = Field(max_length=200)
    district: str = Field(max_length=32, index=True)
    lat: float
    lon: float
    amenities: list[str] = json_field()
    version: int


class DepartmentStationReport(GatewayModel, table=True):
    """A worker's report on a station and its handling (departments.rest_station.reported|report_handled.v1)."""

    __tablename__ = "department_station_reports"

    report_id: str = Field(primary_key=True, max_length=40)
    station_id: str = Field(max_length=40)
    keeper: str = Field(max_length=40)
    district: str = Field(max_length=32, index=True)
    kind: str | None = Field(default=None, max_length=16)
    reported_at: datetime = timestamp_field()
    due_at: datetime | None = timestamp_field(nullable=True)
    handled_at: datetime | None = timestamp_field(nullable=True)


class DepartmentWeatherWarning(GatewayModel, table=True):
    """A bad-weather warning as the emergency department last stated it (M8; departments.weather_warning.issued.v1,
    the highest version kept): its window runs from `starts_at` to the earlier of `ends_at` and `cancelled_at`."""

    __tablename__ = "department_weather_warnings"

    warning_id: str = Field(primary_key=True, max_length=40)
    department: str = Field(max_length=32)
    reference: str = Field(max_length=100)
    version: int
    district: str = Field(max_length=32, index=True)
    level: str = Field(max_length=8)
    hazard: str = Field(max_length=16)
    starts_at: datetime = timestamp_field()
    ends_at: datetime | None = timestamp_field(nullable=True)
    cancelled_at: datetime | None = timestamp_field(nullable=True)
    source: str = Field(max_length=200)
    observed_at: datetime = timestamp_field()
    recorded_at: datetime = timestamp_field()
