"""Request and response bodies of the rest-station registry and its reports (M14)."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newform_common import vocabulary

from .models import ReportStatus


class Amenity(StrEnum):
    """What a station offers (the issue's list; 驿站 commonly: 充电, 饮水, 取暖, 卫生间, 微波炉, 电动车停放)."""

    charging = "charging"
    drinking_water = "drinking_water"
    heating = "heating"
    toilet = "toilet"
    microwave = "microwave"
    ebike_parking = "ebike_parking"


class ReportKind(StrEnum):
    closed = "closed"
    full = "full"
    broken = "broken"
    other = "other"


District = vocabulary.literal("districts")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

# Xining's administrative area (its seven districts and counties) lies within about 36.2–37.5° N and
# 100.9–101.9° E (湟源 west, 大通 north, 湟中 south); a small margin, so that no point on its border is refused.
XINING_LAT = (36.1, 37.6)
XINING_LON = (100.8, 102.0)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Interval(Strict):
    """Open on `days` from `opens` to `closes` (local time of the hours' zone). `closes` not after `opens`
    runs past midnight into the next day; equal times are 24 hours."""

    days: list[Weekday] = Field(min_length=1, examples=[["mon", "tue", "wed", "thu", "fri"]])
    opens: time = Field(examples=["08:00"])
    closes: time = Field(examples=["20:00"])

    @field_validator("opens", "closes")
    @classmethod
    def _naive(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a time of day without offset: the zone is the hours' `timezone`")
        return value


class OpeningHours(Strict):
    timezone: str = Field("Asia/Shanghai", description="IANA zone the times are read in")
    always_open: bool = False
    weekly: list[Interval] = Field(default_factory=list, max_length=21)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _some_hours(self) -> OpeningHours:
        if not self.always_open and not self.weekly:
            raise ValueError("give weekly intervals, or always_open: true")
        return self


class StationIn(Strict):
    reference: str = Field(min_length=1, max_length=100, description="The keeper's own number for the station")
    name: str = Field(min_length=1, max_length=200, examples=["城西区胜利路户外劳动者驿站"])
    address: str = Field(min_length=1, max_length=300)
    district: District  # type: ignore[valid-type]
    lat: float = Field(ge=XINING_LAT[0], le=XINING_LAT[1], description="WGS-84 latitude, within Xining")
    lon: float = Field(ge=XINING_LON[0], le=XINING_LON[1], description="WGS-84 longitude, within Xining")
    amenities: list[Amenity] = Field(default_factory=list)
    hours: OpeningHours
    phone: str | None = Field(None, max_length=40)

    @field_validator("amenities")
    @classmethod
    def _set(cls, value: list[Amenity]) -> list[Amenity]:
        return sorted(set(value))


class StationPublic(BaseModel):
    id: str
    keeper: str
    reference: str
    name: str
    address: str
    district: str
    lat: float
    lon: float
    amenities: list[str]
    hours: dict
    phone: str | None
    version: int
    updated_at: datetime
    open_now: bool
    status: Literal["created", "updated", "unchanged"] | None = None


class StationNear(StationPublic):
    distance_m: int


class ReportIn(Strict):
    kind: ReportKind
    note: str | None = Field(None, max_length=500)


class HandledIn(Strict):
    note: str | None = Field(None, max_length=500)


class ReportPublic(BaseModel):
    id: str
    station_id: str
    station_name: str
    keeper: str
    district: str
    kind: ReportKind
    note: str | None
    status: ReportStatus
    reported_at: datetime
    due_at: datetime
    handled_at: datetime | None
    handled_note: str | None
    finding_id: str | None
