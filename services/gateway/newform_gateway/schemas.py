"""Request and response models of the gateway API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

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


class EnterprisePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: str
    name: str
    kind: str
    platform_id: str
    credit_code: str | None
    district: str | None
    occupations: list[str]
    dispatch_licence_valid_until: Any | None
    qualified: bool | None


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


class CreditRecordPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    record_id: str
    alert_id: str
    measure: str
    rule: str
    subject_type: str
    subject_id: str
    platform_id: str | None
    enterprise_id: str | None
    summary: str
    evidence_chain: list[dict[str, Any]] = Field(description="Event ids back to the source events")
    confirmed_by: str
    confirmed_at: datetime
    subject_credit_code: str | None = Field(
        None,
        description="whose credit the record is (the related unit's own code, or the enterprise's); null while held",
    )
    subject_name: str | None = None
    held: bool = Field(False, description="the subject is not known yet: the record is not exported until it is")
    debt_key: str | None = Field(None, description="arrears: the debt the record is for (one record per debt)")
    basis: dict[str, Any] = Field(default_factory=dict, description="the sources in force on the decision day")

    @model_validator(mode="after")
    def _held(self) -> CreditRecordPublic:
        self.held = self.subject_credit_code is None
        return self


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"url": "https://hrss.example.gov.cn/newform/alerts", "payload_version": 2}},
    )

    url: AnyHttpUrl = Field(
        description="https URL that receives POSTed alerts (plain http only in development); "
        "its host must resolve to public addresses only"
    )
    secret: str | None = Field(
        None,
        min_length=16,
        max_length=200,
        description="Signing secret, preferably `whsec_<base64 of 24–64 random bytes>`; "
        "generated when omitted (returned once)",
    )
    payload_version: Literal[1, 2] = Field(
        1,
        description="1: the flat `alert` body; 2: the Standard Webhooks "
        "envelope `{type, timestamp, data}` (`alert-v2`)",
    )


class WebhookUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"url": "https://hrss.example.gov.cn/newform/v2/alerts", "active": True, "payload_version": 2}
        },
    )

    url: AnyHttpUrl | None = Field(None, description="Re-point the webhook (the same checks as at registration)")
    active: bool | None = Field(
        None,
        description="false: disabled — nothing is queued or sent; pending "
        "deliveries wait and are sent when enabled again",
    )
    payload_version: Literal[1, 2] | None = None


class WebhookPublic(BaseModel):
    id: int
    department: str | None = Field(description="The subscribing department (alerts routed to it), or null")
    platform_id: str | None = Field(description="The subscribing platform (alerts about it), or null")
    url: str
    active: bool
    payload_version: int = Field(1, description="1: the flat `alert` body; 2: the `alert-v2` envelope")
    created_at: datetime
    updated_at: datetime | None = None
    key_ids: list[str] = Field(description="Ids of the secrets that sign now (`webhook-key-id`), newest first")


class WebhookDeliveryAttemptPublic(BaseModel):
    attempted_at: datetime
    url: str = Field(description="Where it was sent (the webhook's URL at the time)")
    status_code: int | None = Field(description="The receiver's HTTP status; null when no answer came")
    error: str | None = Field(
        description="Why the attempt failed (a non-2xx status, a connection error, a "
        "refused target); null when delivered"
    )
    duration_ms: int


class WebhookDeliveryPublic(BaseModel):
    delivery_id: str = Field(description="= the `webhook-id` header (the same on every attempt and redelivery)")
    webhook_id: int
    alert_id: str
    event: str = Field(description="alert.raised, alert.acknowledged, alert.commented or alert.resolved")
    status: Literal["pending", "delivered", "failed"]
    attempts: int = Field(description="Attempts since it was queued or last redelivered")
    next_attempt_at: datetime | None = Field(description="When it is tried next (pending only)")
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[WebhookDeliveryAttemptPublic] = Field(description="Every attempt, oldest first")


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="Verify `webhook-signature` with it (Standard Webhooks); shown only now")


class WebhookRotate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"grace_period_hours": 24}})

    grace_period_hours: int = Field(
        24, ge=0, le=168, description="How long the previous secret keeps signing too (0: stop now)"
    )


class WebhookSecretRotated(BaseModel):
    id: int
    secret: str = Field(description="The new secret; shown only now")
    key_ids: list[str] = Field(description="Ids of the secrets that sign now, newest first")
    previous_secret_expires_at: datetime | None = Field(description="Until when the previous secret also signs")
