"""Webhook delivery: deliveries are written with the alert (outbox-like); this background task
POSTs each one until the receiver answers 2xx, with exponential back-off.

Each request: JSON body, `X-Newform-Signature: sha256=<hex HMAC-SHA256 of the raw body with the
webhook's secret>`, `X-Newform-Delivery: <delivery id>` (the same on every retry: receivers dedupe on
it). Several gateway instances may run: rows are claimed with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client import Counter, Gauge
from sqlalchemy import select

from newform_common.db import Database
from newform_common.tasks import cancel_and_wait

from . import queries
from .config import Settings
from .models import Webhook, WebhookDelivery

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Newform-Signature"
DELIVERY_HEADER = "X-Newform-Delivery"

DELIVERIES = Counter("newform_gateway_webhook_deliveries_total", "Webhook delivery attempts", ["outcome"])
OVERDUE = Gauge("newform_gateway_alerts_overdue", "Unresolved alerts past their handling deadline", ["measure"])


def body_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
                    "Content-Type": "application/json", SIGNATURE_HEADER: sign(hook.secret, body),
                    DELIVERY_HEADER: delivery.delivery_id, "User-Agent": "newform-gateway"})
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
