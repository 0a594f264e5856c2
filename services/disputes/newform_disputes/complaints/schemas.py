"""Complaints' requests and responses (M10, M20)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from newform_common.findings import FindingRef

from ..schemas import Claim, ClockPublic, Code, FactCode, Id, Reference, Strict


class ComplaintCreate(Strict):
    category: Code = Field(
        description="pay, deductions, working_time_rest, account_restriction, rules_algorithms, "
        "discrimination, deposits_fees, insurance_injury, safety, other"
    )
    description: str = Field(min_length=1, max_length=5000)
    contract_id: Id | None = Field(None, description="The engagement it concerns; it must be the worker's own")
    platform_id: Id | None = Field(None, description="The platform complained against (else the engagement's)")
    enterprise_id: Id | None = Field(None, description="A related unit (outsourcer, franchisee) complained against")
    occupation: Code | None = Field(None, description="Without an engagement: the worker's occupation")
    district: Code | None = Field(None, description="Without an engagement: where it happened")
    attachments: list[Reference] = Field(default_factory=list, max_length=20)
    mask_identity: bool = Field(True, description="Hide the complainant from the platform where the category allows")


class ComplaintAnswer(Strict):
    answer: str = Field(min_length=1, max_length=5000)


class Escalation(Strict):
    to: Literal["mediation", "department"]
    claims: list[Claim] = Field(default_factory=list, max_length=50)
    facts: list[FactCode] = Field(
        default_factory=list,
        max_length=20,
        description="Facts of the work (enterprise_controls_schedule, ...): classified handling",
    )


class ComplaintPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    complaint_id: str = Field(validation_alias="id")
    worker_id: str | None = Field(description="Hidden from the platform when the complainant is masked")
    platform_id: str
    enterprise_id: str | None
    contract_id: str | None
    engagement_type: str | None
    occupation: str | None
    district: str | None
    category: str
    description: str
    attachments: list[str]
    identity_masked: bool
    status: Literal["awaiting_reply", "answered", "resolved"]
    filed_at: datetime
    reply_due_on: date
    reply_overdue: bool
    answer: str | None
    answered_at: datetime | None
    resolution: str | None
    resolved_at: datetime | None
    escalation_measure: str | None
    case_id: str | None
    clocks: list[ClockPublic] = Field(default_factory=list)
    findings: list[FindingRef] = Field(default_factory=list)
