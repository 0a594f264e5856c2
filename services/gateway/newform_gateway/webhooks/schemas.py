"""The webhooks API's requests and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field


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
