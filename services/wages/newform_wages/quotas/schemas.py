"""Quotas' request and response models."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from newform_common.findings import FindingRef


class QuotaCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post: str = Field(min_length=1, max_length=64)
    orders_per_day: int = Field(gt=0, le=10**5)
    effective_from: date


class QuotaPublic(QuotaCreate):
    quota_id: str
    platform_id: str


class QuotaAssessment(BaseModel):
    quota_id: str
    post: str
    work_date: date
    workers: int
    reaching: int
    met: bool
    finding: FindingRef | None = None


class AssessmentRequest(BaseModel):
    work_date: date
