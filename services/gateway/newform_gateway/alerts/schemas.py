"""The alerts API's requests and answers (and the examples the published document shows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ALERT_EXAMPLE = {
    "alert_id": "alr_f_01",
    "source_service": "contracts",
    "measure": "M1",
    "rule": "M1.misclassification",
    "severity": "high",
    "summary": "按民事关系签约，但事实符合劳动关系认定条件",
    "subject_type": "contract",
    "subject_id": "c_01",
    "platform_id": "meituan",
    "enterprise_id": "meituan",
    "worker_id": "w_3f9a",
    "occupation": "food_delivery",
    "district": "chengxi",
    "departments": ["hrss", "court", "union", "transport", "market", "postal", "culture", "county:chengxi"],
    "status": "open",
    "resolution": None,
    "occurrences": 1,
    "first_observed_at": "2026-05-01T08:59:58+08:00",
    "last_observed_at": "2026-05-01T08:59:58+08:00",
    "raised_at": "2026-05-01T09:00:00+08:00",
    "due_at": "2026-05-16T09:00:00+08:00",
    "overdue": False,
    "provisional": False,
    "acknowledged_at": None,
    "resolved_at": None,
    "lead_department": "hrss",
}
ALERT_DETAIL_EXAMPLE = {
    **ALERT_EXAMPLE,
    "evidence": [
        {
            "finding_id": "fnd_01",
            "observed_at": "2026-05-01T08:59:58+08:00",
            "evidence": {"declared_type": "civil", "suggested_type": "labor_contract"},
        }
    ],
    "transitions": [
        {
            "action": "commented",
            "from_status": "open",
            "to_status": "open",
            "outcome": None,
            "actor": "county-chengxi-officer",
            "actor_role": "department",
            "actor_department": "county:chengxi",
            "note": "该平台在本区有配送站点",
            "at": "2026-05-02T10:00:00+08:00",
        }
    ],
}


class AlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"example": ALERT_EXAMPLE})

    alert_id: str
    source_service: str
    measure: str = Field(description="The measure (M1–M20) the finding breaks")
    rule: str
    severity: Literal["low", "medium", "high"]
    summary: str
    subject_type: str
    subject_id: str
    platform_id: str | None
    enterprise_id: str | None
    worker_id: str | None = Field(description="Pseudonymous worker id")
    occupation: str | None
    district: str | None
    departments: list[str] = Field(description="Department keys routed to; `county:<district>` for a district")
    status: Literal["open", "acknowledged", "resolved"]
    # Nullable fields default to None: FastAPI drops null values from OpenAPI examples, so a required
    # nullable field could never be shown in one (issue 8 item 19).
    resolution: Literal["confirmed", "interviewed", "warned", "penalized", "dismissed"] | None = Field(
        None,
        description="The lead department's decision: confirmed, 约谈 interviewed, 警示 warned, "
        "查处 penalized (each confirms the finding), or dismissed",
    )
    lead_department: str | None = Field(
        None, description="The department that decides: the first unit the policy lists for the measure"
    )
    occurrences: int = Field(description="How many times the rule fired for this subject while unresolved")
    first_observed_at: datetime
    last_observed_at: datetime
    raised_at: datetime
    due_at: datetime = Field(description="Handling deadline: raised + the measure's deadline parameter")
    overdue: bool = Field(description="Not resolved and past due_at")
    provisional: bool = Field(
        False,
        description="Judged under lapsed municipal measures applied until their "
        "successor is loaded (see the finding's evidence.policy_basis)",
    )
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None


class TransitionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: Literal["acknowledged", "commented", "resolved"]
    from_status: str
    to_status: str
    # Nullable fields default to None (FastAPI drops nulls from examples; see AlertPublic).
    outcome: str | None = Field(None, description="The decision, on `resolved`")
    actor: str
    actor_role: str
    actor_department: str | None = None
    note: str | None = None
    at: datetime


class AlertDetail(AlertPublic):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"example": ALERT_DETAIL_EXAMPLE})

    evidence: list[dict[str, Any]] = Field(description="One entry per finding: ids, time, its evidence")
    transitions: list[TransitionPublic]


class AlertAcknowledge(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"note": "已受理，正在核查"}})

    note: str | None = Field(None, max_length=2000)


class AlertComment(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"note": "该平台在本区有配送站点，已派员核查"}}
    )

    note: str = Field(min_length=1, max_length=2000)


class AlertResolve(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"outcome": "warned", "note": "经核查属实，已对企业警示并责令整改"}},
    )

    outcome: Literal["confirmed", "interviewed", "warned", "penalized", "dismissed"] = Field(
        description="confirmed, 约谈 interviewed, 警示 warned, 查处 penalized (each confirms the finding), or dismissed"
    )
    note: str | None = Field(None, max_length=2000)
