"""Webhook delivery: deliveries are written with the alert (outbox-like); this background task
POSTs each one until the receiver answers 2xx, with exponential back-off.

Subscribers: a department's system receives the alerts routed to that department; a platform's
backend receives the alerts about that platform (its own findings, to act on them early).

Signatures follow Standard Webhooks (`signing.py`). Receivers use
`sdks/python/newform_sdk/webhooks.py` or `sdks/typescript/src/webhooks.ts` (documented in sdks/README.md).
Several gateway instances may run: rows are claimed with FOR UPDATE SKIP LOCKED.

Bodies: payload version 1 (the default, unchanged) is the flat `AlertNotification`; version 2 (opt-in per
subscription) is the Standard Webhooks envelope `{"type", "timestamp", "data"}` (`AlertNotificationV2`).

Targets: a platform's token must not make the gateway POST into the cluster (SSRF). A URL must be https
(plain http only in development) and its host must resolve only to public addresses — loopback, private,
link-local, multicast, reserved and unspecified addresses are refused, IPv4 and IPv6, an IPv4-mapped or
NAT64 IPv6 address judged by the IPv4 address inside. Checked at registration and update, and again at
every delivery by the connection itself (`GuardedBackend` resolves, checks, then connects to the checked
address, so a DNS answer that changes in between cannot slip through). WEBHOOK_ALLOW_PRIVATE_TARGETS
(default: only in development) turns the address check off.

Every attempt is logged (`webhook_delivery_attempts`: time, URL, status code or error, duration): the
subscriber reads it and asks for a redelivery through the API.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client import Counter, Gauge

from newform_common.db import Database
from newform_common.tasks import cancel_and_wait

from ..alerts import repository as alerts_repository
from ..config import Settings
from . import repository
from .documents import request_body
from .models import WebhookDeliveryAttempt
from .signing import body_bytes, signed_headers
from .targets import TargetRefused, guarded_client

log = logging.getLogger(__name__)

DELIVERIES = Counter("newform_gateway_webhook_deliveries_total", "Webhook delivery attempts", ["outcome"])
OVERDUE = Gauge("newform_gateway_alerts_overdue", "Unresolved alerts past their handling deadline", ["measure"])


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failures: initial · 2^(attempts-1), capped."""
    return timedelta(
        seconds=min(settings.webhook_initial_backoff_s * 2 ** max(attempts - 1, 0), settings.webhook_max_backoff_s)
    )


class Deliverer:
    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings
        self._task: asyncio.Task | None = None
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = guarded_client(self.settings)
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
            counts = await alerts_repository.count_overdue_by_measure(session)
        for measure in [f"M{i}" for i in range(1, 21)]:
            OVERDUE.labels(measure).set(counts.get(measure, 0))

    async def deliver_one(self) -> bool:
        """Send the next due delivery of an active webhook; False when none is due. Each attempt is logged."""
        assert self._client is not None
        async with self.db.transaction() as session:
            row = await repository.claim_due_delivery(session, datetime.now(UTC))
            if row is None:
                return False
            delivery, hook = row
            body = body_bytes(request_body(hook, delivery))
            error, status_code = None, None
            started, clock = datetime.now(UTC), time.monotonic()
            try:
                if httpx.URL(hook.url).scheme != "https" and not self.settings.webhooks_allow_http:
                    raise TargetRefused("a webhook URL must be https")
                response = await self._client.post(
                    hook.url,
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "User-Agent": "newform-gateway",
                        **signed_headers(hook, delivery.delivery_id, body, datetime.now(UTC)),
                    },
                )
                status_code = response.status_code
                if not 200 <= response.status_code < 300:
                    error = f"HTTP {response.status_code}"
            except TargetRefused as exc:
                error = f"refused: {exc}"[:500]
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            session.add(
                WebhookDeliveryAttempt(
                    delivery_id=delivery.delivery_id,
                    webhook_id=hook.id,
                    attempted_at=started,
                    url=hook.url,
                    status_code=status_code,
                    error=error,
                    duration_ms=int((time.monotonic() - clock) * 1000),
                )
            )
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
                log.info(
                    "webhook delivery %s to %s failed (%s), attempt %d",
                    delivery.delivery_id,
                    hook.url,
                    error,
                    delivery.attempts,
                )
            return True
