"""Wages' copy of the emergency department's bad-weather warnings (departments.events, M8)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from ..models import ServiceModel, timestamp


class WeatherWarning(ServiceModel, table=True):
    """A warning as last stated (the highest version kept): a red one's window is judged against the work
    sessions in its district."""

    __tablename__ = "weather_warnings"

    warning_id: str = Field(primary_key=True, max_length=40)  # the departments' fact id
    reference: str = Field(max_length=100)
    version: int
    district: str = Field(max_length=32)
    level: str = Field(max_length=8)
    hazard: str = Field(max_length=16)
    starts_at: datetime = timestamp()
    ends_at: datetime | None = timestamp(nullable=True)
    cancelled_at: datetime | None = timestamp(nullable=True)
    updated_at: datetime = timestamp()
