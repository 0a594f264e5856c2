"""Request and response bodies of M8 in bad weather: the warnings contracts holds, platforms' responses."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from newform_common.findings import FindingRef

from ..schemas import FROM_ROW, example, row_id


class WeatherWarningPublic(BaseModel):
    """A bad-weather warning as the emergency department stated it (departments.events), latest version."""

    model_config = FROM_ROW

    warning_id: str
    reference: str
    version: int
    district: str
    level: Literal["blue", "yellow", "orange", "red"]
    hazard: str
    starts_at: datetime
    ends_at: datetime | None
    cancelled_at: datetime | None
    source: str
    response_due: datetime | None = Field(
        None, description="when a platform concerned must have declared its response (orange and red only)"
    )


class WeatherResponseCreate(BaseModel):
    model_config = example(
        {
            "warning_id": "fct_01JEXAMPLE",
            "dispatch": "limited",
            "completion_time_extended_minutes": 20,
            "rule_notice_id": "rn_01JEXAMPLE",
            "note": "城西区暴雪红色预警期间限制派单，配送时限延长20分钟",
            "taken_at": "2026-12-07T06:30:00+08:00",
        }
    )

    warning_id: str = Field(min_length=1, max_length=40, description="the warning's id (`GET /v1/weather-warnings`)")
    dispatch: Literal["limited", "suspended", "unchanged"] = Field(
        description="what the platform did with dispatch in the district (限制发单 / 暂停派单)"
    )
    completion_time_extended_minutes: int = Field(
        0, ge=0, le=1440, description="how much longer workers were given to complete (延长服务完成时限)"
    )
    rule_notice_id: str | None = Field(
        None, max_length=64, description="the platform's notice in the rule register that records the change"
    )
    note: str | None = Field(None, max_length=2000)
    taken_at: AwareDatetime | None = Field(None, description="when the platform acted (default: now; not later)")


class WeatherResponsePublic(BaseModel):
    model_config = FROM_ROW

    response_id: str = row_id("response_id")
    warning_id: str
    platform_id: str
    dispatch: str
    completion_time_extended_minutes: int
    rule_notice_id: str | None
    note: str | None
    taken_at: datetime
    declared_at: datetime
    findings: list[FindingRef] = Field(default_factory=list)
