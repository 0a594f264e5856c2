"""The disputes API's answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class PlatformDisputes(BaseModel):
    platform_id: str
    complaints: int
    answered: int
    answered_on_time: int
    reply_overdue: int
    median_reply_hours: float | None
    escalations: int
    escalated_to_departments: int
    cases: int


class LegalAidRequest(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_id: str
    platform_id: str
    category: str
    district: str | None
    requested_at: datetime
