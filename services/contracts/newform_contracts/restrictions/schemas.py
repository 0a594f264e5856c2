"""Request and response bodies of account restrictions, appeals and lifts (M5)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from newform_common.findings import FindingRef

from ..schemas import FROM_ROW, DateTime, example, row_id


class RestrictionReason(BaseModel):
    code: str
    label: str


class RestrictionCreate(BaseModel):
    model_config = example(
        {
            "registration_id": "reg_0190a1b2c3d4e5f6a7b8c9",
            "action": "restrict",
            "reason_code": "order_fraud",
            "reason_text": "连续虚构订单，经核实",
            "notice_given_at": "2026-11-20T09:00:00+08:00",
            "effective_at": "2026-11-27T00:00:00+08:00",
        }
    )

    registration_id: str
    action: Literal["restrict", "cancel"]
    reason_code: str = Field(min_length=1, max_length=64, description="One of GET /v1/account-restrictions/reasons")
    reason_text: str | None = Field(None, max_length=2000)
    notice_given_at: DateTime | None = Field(
        None,
        description="When the worker was notified; null: no notice. "
        "Counts only if before `effective_at`; none is owed "
        "at the worker's own request (worker_request)",
    )
    effective_at: DateTime


# The restriction row with its status and findings: `restrictions.service.restriction_public`.
class RestrictionPublic(BaseModel):
    model_config = FROM_ROW

    restriction_id: str = row_id("restriction_id")
    registration_id: str
    worker_id: str
    platform_id: str
    action: str
    reason_code: str
    reason_listed: bool
    reason_text: str | None
    notice_given_at: datetime | None
    notice_days: int
    effective_at: datetime
    status: Literal["in_effect", "lifted"] = "in_effect"
    lifted_at: datetime | None = None
    lift_reason: str | None = None
    findings: list[FindingRef] = Field(default_factory=list)


class AppealCreate(BaseModel):
    model_config = example({"grounds": "本人未参与刷单，订单异常系系统故障所致，请求恢复账号。"})

    grounds: str = Field(min_length=1, max_length=5000, description="Why the worker contests the restriction")


class AppealPublic(BaseModel):
    model_config = FROM_ROW

    appeal_id: str = row_id("appeal_id")
    restriction_id: str
    worker_id: str
    platform_id: str
    grounds: str
    submitted_at: datetime
    status: Literal["open", "closed"]
    closed_at: datetime | None


class LiftCreate(BaseModel):
    model_config = example({"reason": "申诉核实：订单异常系系统故障，恢复账号"})

    reason: str = Field(min_length=1, max_length=2000)
