"""Webhook delivery: deliveries are written with the alert (outbox-like); this background task
POSTs each one until the receiver answers 2xx, with exponential back-off.

Subscribers: a department's system receives the alerts routed to that department; a platform's
backend receives the alerts about that platform (its own findings, to act on them early).

Signatures follow Standard Webhooks (standardwebhooks.com), so its libraries verify them:
- `webhook-id`: the delivery id, the same on every retry (receivers dedupe on it);
- `webhook-timestamp`: Unix seconds of this attempt (receivers refuse stale ones: replays);
- `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>">`, one per active
  secret, space-separated: after a rotation both the new and the previous secret sign until the
  previous one expires, so a receiver can switch keys without losing a delivery;
- `webhook-key-id`: the ids of those secrets, in the same order (`whk_…`, shown at registration).
Secrets look like `whsec_<base64 key>` (the HMAC key is the decoded bytes). Receivers use
`sdks/python/newform_sdk/webhooks.py` or `sdks/typescript/src/webhooks.ts` (documented in sdks/README.md).
Several gateway instances may run: rows are claimed with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from fastapi import FastAPI, Header
from prometheus_client import Counter, Gauge
from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.db import Database
from newform_common.tasks import cancel_and_wait

from . import queries, routing
from .config import Settings
from .models import Alert, Webhook, WebhookDelivery

log = logging.getLogger(__name__)

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
KEY_ID_HEADER = "webhook-key-id"
SECRET_PREFIX = "whsec_"

DELIVERIES = Counter("newform_gateway_webhook_deliveries_total", "Webhook delivery attempts", ["outcome"])
OVERDUE = Gauge("newform_gateway_alerts_overdue", "Unresolved alerts past their handling deadline", ["measure"])


def body_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    """The HMAC key: a `whsec_` secret's decoded bytes; a secret chosen by hand, as its UTF-8 bytes."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX):])
    return secret.encode()


def key_id(secret: str) -> str:
    """A public name for a secret (a hash prefix: it reveals nothing of the key)."""
    return "whk_" + hashlib.sha256(secret.encode()).hexdigest()[:16]


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def signing_secrets(hook: Webhook, now: datetime) -> list[str]:
    """The current secret, and the previous one while its rotation grace period lasts."""
    active = [hook.secret]
    if hook.previous_secret and hook.previous_secret_expires_at and hook.previous_secret_expires_at > now:
        active.append(hook.previous_secret)
    return active


def signed_headers(hook: Webhook, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    active = signing_secrets(hook, now)
    return {ID_HEADER: message_id, TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: " ".join(sign(s, message_id, timestamp, body) for s in active),
            KEY_ID_HEADER: " ".join(key_id(s) for s in active)}


async def subscribed_hooks(session: AsyncSession, alert: Alert) -> list[Webhook]:
    """Active webhooks that hear of this alert: the departments it is routed to, and its platform —
    unless the alert is about a public body (`routing.alert_responsible`): the platform is then a
    party to the dispute, not the subject, and hears nothing of it."""
    who = Webhook.department.in_(alert.departments)
    if alert.platform_id and routing.alert_responsible(alert.evidence) is None:
        who = or_(who, Webhook.platform_id == alert.platform_id)
    return list((await session.execute(select(Webhook).where(Webhook.active.is_(True), who))).scalars())


async def rotate_secret(session: AsyncSession, hook: Webhook, grace: timedelta) -> str:
    """A new secret signs from now on; the current one keeps signing too for `grace`."""
    now = datetime.now(UTC)
    hook.previous_secret, hook.previous_secret_expires_at = hook.secret, now + grace
    hook.secret = generate_secret()
    await session.flush()
    return hook.secret


class AlertNotification(BaseModel):
    """The body of every webhook request (the signature covers its raw bytes)."""

    event: Literal["alert.raised", "alert.acknowledged", "alert.commented", "alert.resolved"]
    delivery_id: str = Field(description="= the `webhook-id` header: the same on every retry of this delivery")
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


def document_webhooks(app: FastAPI) -> None:
    """The requests the gateway makes, as OpenAPI `webhooks` (what a receiver implements)."""

    @app.webhooks.post("alert", tags=["webhooks"], summary="An alert was raised, acknowledged or resolved",
                       description="POSTed to each subscribed URL; answer 2xx within "
                                   "WEBHOOK_TIMEOUT_S, else the delivery is retried with back-off. Verify the "
                                   "signature and refuse a `webhook-timestamp` older than 5 minutes and a "
                                   "`webhook-id` already seen (replays).",
                       responses={200: {"description": "Received (any 2xx)"},
                                  "4XX": {"description": "Refused (e.g. a bad signature): retried with back-off"}})
    def alert_notification(
        body: AlertNotification,
        webhook_id: str = Header(..., alias=ID_HEADER, description="The delivery id; dedupe on it"),
        webhook_timestamp: int = Header(..., alias=TIMESTAMP_HEADER, description="Unix seconds of this attempt"),
        webhook_signature: str = Header(..., alias=SIGNATURE_HEADER,
                                        description="Space-separated `v1,<base64 HMAC-SHA256 of "
                                                    "id.timestamp.body>`, one per active secret"),
        webhook_key_id: str = Header(..., alias=KEY_ID_HEADER,
                                     description="Space-separated ids of the signing secrets, same order"),
    ) -> None:
        """Documentation only: the gateway sends this request, it does not serve it."""


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failures: initial · 2^(attempts-1), capped."""
    return timedelta(seconds=min(settings.webhook_initial_backoff_s * 2 ** max(attempts - 1, 0),
                                 settings.webhook_max_backoff_s))


class Deliverer:
    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings
        self._task: asyncio.Task | None = None
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.settings.webhook_timeout_s, follow_redirects=False)
        self._task = asyncio.create_task(self._run(), name="gateway-webhooks")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        if self._client:
            await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                while await self.deliver_one():
                    pass
                await self._update_overdue()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep delivering whatever one round's failure was
                log.exception("webhook delivery round failed")
            await asyncio.sleep(self.settings.webhook_poll_interval_s)

    async def _update_overdue(self) -> None:
        async with self.db.transaction() as session:
            counts = await queries.count_overdue_by_measure(session)
        for measure in [f"M{i}" for i in range(1, 21)]:
            OVERDUE.labels(measure).set(counts.get(measure, 0))

    async def deliver_one(self) -> bool:
        """Send the next due delivery; False when none is due."""
        assert self._client is not None
        async with self.db.transaction() as session:
            row = (await session.execute(
                select(WebhookDelivery, Webhook).join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= datetime.now(UTC))
                .order_by(WebhookDelivery.next_attempt_at).limit(1)
                .with_for_update(skip_locked=True, of=WebhookDelivery)
            )).first()
            if row is None:
                return False
            delivery, hook = row
            body = body_bytes({**delivery.payload, "delivery_id": delivery.delivery_id})
            error = None
            try:
                response = await self._client.post(hook.url, content=body, headers={
                    "Content-Type": "application/json", "User-Agent": "newform-gateway",
                    **signed_headers(hook, delivery.delivery_id, body, datetime.now(UTC))})
                if not 200 <= response.status_code < 300:
                    error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            delivery.attempts += 1
            if error is None:
                delivery.status, delivery.delivered_at, delivery.last_error = "delivered", datetime.now(UTC), None
                DELIVERIES.labels("delivered").inc()
            else:
                delivery.last_error = error
                if delivery.attempts >= self.settings.webhook_max_attempts:
                    delivery.status = "failed"
                    DELIVERIES.labels("failed").inc()
                else:
                    delivery.next_attempt_at = datetime.now(UTC) + backoff(self.settings, delivery.attempts)
                    DELIVERIES.labels("retry").inc()
                log.info("webhook delivery %s to %s failed (%s), attempt %d", delivery.delivery_id, hook.url,
                         error, delivery.attempts)
            return True
