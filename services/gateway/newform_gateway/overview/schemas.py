"""The overview's and the worker timeline's answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Overview(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "as_of": "2026-05-01T09:00:00+08:00",
                "registrations": {"total": 2, "by_district": {"chengxi": 2}, "by_occupation": {"courier": 2}},
                "contracts": {"by_engagement_type": {"labor_contract": 1}, "by_status": {"signed": 1}},
                "alerts": {
                    "by_measure": {"M1": 1},
                    "by_department": {"hrss": 1},
                    "by_status": {"open": 1},
                    "overdue": 0,
                },
                "trends": [{"date": "2026-05-01", "registrations": 2, "contracts": 1, "findings": 1}],
            }
        }
    )

    as_of: datetime
    registrations: dict[str, Any]
    contracts: dict[str, Any]
    alerts: dict[str, Any]
    trends: list[dict[str, Any]]


class TimelineEntry(BaseModel):
    event_id: str
    type: str
    time: datetime
    platform_id: str | None
    data: dict[str, Any]


class WorkerTimeline(BaseModel):
    worker_id: str
    platforms: list[str]
    events: list[TimelineEntry]
