"""The platforms API's answers: coverage, open findings, the scorecard."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PlatformSummary(BaseModel):
    platform_id: str
    name: str | None
    active_registrations: int
    contract_coverage: float | None = Field(
        description="Workers with a signed, active contract per active registration (0–1); null without registrations"
    )
    insurance_coverage: float | None = Field(
        description="Share of signed, active contracts with work-injury or occupational-injury cover"
    )
    open_findings: int


class PlatformDetail(PlatformSummary):
    registrations_by_occupation: dict[str, int]
    registrations_by_district: dict[str, int]
    contracts_by_engagement_type: dict[str, int]
    contracts_by_status: dict[str, int]
    cooperating_enterprises: list[dict[str, Any]]
    workers_trained: int = Field(0, description="Registered workers holding a skill certificate (M13)")
    scorecard: dict[str, Any]
