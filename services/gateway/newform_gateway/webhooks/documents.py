"""What a webhook receives: the bodies (payload version 1, the default, is the flat `AlertNotification`;
version 2, opt-in per subscription, the Standard Webhooks envelope `{"type", "timestamp", "data"}`,
`AlertNotificationV2`) and their documentation under `webhooks` in the published OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header
from pydantic import BaseModel, Field

from .models import Webhook, WebhookDelivery
from .signing import ID_HEADER, KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER

# -- bodies ----------------------------------------------------------------------------------------

PAYLOAD_VERSIONS = (1, 2)


def request_body(hook: Webhook, delivery: WebhookDelivery) -> dict[str, Any]:
    """What the receiver gets: version 1, the alert flat with `event` and `delivery_id`; version 2, the
    Standard Webhooks envelope (the delivery id is the `webhook-id` header)."""
    if hook.payload_version == 2:
        data = {k: v for k, v in delivery.payload.items() if k != "event"}
        at = delivery.created_at or datetime.now(UTC)
        return {"type": delivery.payload["event"], "timestamp": at.isoformat(), "data": data}
    return {**delivery.payload, "delivery_id": delivery.delivery_id}


class AlertData(BaseModel):
    """The alert as it stands (payload version 2's `data`)."""

    alert_id: str
    measure: str = Field(description="The measure (M1–M20) the finding breaks")
    rule: str
    severity: Literal["low", "medium", "high"]
    summary: str
    subject_type: str
    subject_id: str
    platform_id: str | None = None
    enterprise_id: str | None = None
    worker_id: str | None = Field(None, description="Pseudonymous worker id")
    occupation: str | None = None
    district: str | None = None
    departments: list[str]
    department: str | None = Field(None, description="The subscribing department (null for a platform's webhook)")
    status: Literal["open", "acknowledged", "resolved"]
    resolution: Literal["confirmed", "dismissed"] | None = None
    raised_at: datetime
    due_at: datetime
    evidence: dict[str, Any] | list[Any] | None = None


class _NotificationHead(BaseModel):
    event: Literal["alert.raised", "alert.acknowledged", "alert.commented", "alert.resolved"]
    delivery_id: str = Field(description="= the `webhook-id` header: the same on every retry of this delivery")


class AlertNotification(AlertData, _NotificationHead):
    """The body of every webhook request (the signature covers its raw bytes)."""


class AlertNotificationV2(BaseModel):
    """Payload version 2 (opt-in: `payload_version: 2`): the Standard Webhooks envelope."""

    type: Literal["alert.raised", "alert.acknowledged", "alert.commented", "alert.resolved"] = Field(
        description="What happened (the v1 `event`)"
    )
    timestamp: datetime = Field(description="When it happened (the step, not this attempt)")
    data: AlertData


def _signed_delivery_headers(
    webhook_id: str = Header(..., alias=ID_HEADER, description="The delivery id; dedupe on it"),
    webhook_timestamp: int = Header(..., alias=TIMESTAMP_HEADER, description="Unix seconds of this attempt"),
    webhook_signature: str = Header(
        ...,
        alias=SIGNATURE_HEADER,
        description="Space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per active secret",
    ),
    webhook_key_id: str = Header(
        ..., alias=KEY_ID_HEADER, description="Space-separated ids of the signing secrets, same order"
    ),
) -> None:
    """The headers of every delivery, whatever its payload version (documentation only)."""


def document_webhooks(app: FastAPI) -> None:
    """The requests the gateway makes, as OpenAPI `webhooks` (what a receiver implements)."""

    @app.webhooks.post(
        "alert",
        tags=["webhooks"],
        summary="An alert was raised, acknowledged or resolved",
        description="POSTed to each subscribed URL; answer 2xx within "
        "WEBHOOK_TIMEOUT_S, else the delivery is retried with back-off. Verify the "
        "signature and refuse a `webhook-timestamp` older than 5 minutes and a "
        "`webhook-id` already seen (replays).",
        responses={
            200: {"description": "Received (any 2xx)"},
            "4XX": {"description": "Refused (e.g. a bad signature): retried with back-off"},
        },
    )
    def alert_notification(
        body: AlertNotification,
        signed: Annotated[None, Depends(_signed_delivery_headers)],
    ) -> None:
        """Documentation only: the gateway sends this request, it does not serve it."""

    @app.webhooks.post(
        "alert-v2",
        tags=["webhooks"],
        summary="An alert was raised, acknowledged, commented on or resolved (payload version 2)",
        description="Sent instead of `alert` to a subscription with `payload_version: 2`: the "
        "Standard Webhooks envelope `{type, timestamp, data}`; same headers, signature, "
        "retries and replay rules as `alert`.",
        responses={
            200: {"description": "Received (any 2xx)"},
            "4XX": {"description": "Refused (e.g. a bad signature): retried with back-off"},
        },
    )
    def alert_notification_v2(
        body: AlertNotificationV2,
        signed: Annotated[None, Depends(_signed_delivery_headers)],
    ) -> None:
        """Documentation only: the gateway sends this request, it does not serve it."""
