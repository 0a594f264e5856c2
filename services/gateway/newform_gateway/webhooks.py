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
import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import httpcore
import httpx
from fastapi import Depends, FastAPI, Header
from prometheus_client import Counter, Gauge
from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.db import Database
from newform_common.tasks import cancel_and_wait

from . import queries, routing
from .config import Settings
from .models import Alert, Webhook, WebhookDelivery, WebhookDeliveryAttempt

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
        return base64.b64decode(secret[len(SECRET_PREFIX) :])
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
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: " ".join(sign(s, message_id, timestamp, body) for s in active),
        KEY_ID_HEADER: " ".join(key_id(s) for s in active),
    }


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


# -- targets ---------------------------------------------------------------------------------------


class TargetRefused(Exception):
    """The URL may not receive webhooks (scheme, or an address inside a private network)."""


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_refused(address: str) -> str | None:
    """Why `address` (an IP literal) may not be a webhook target, or None if it is a public address.
    An IPv4-mapped (::ffff:a.b.c.d), 6to4 or NAT64 IPv6 address is judged by the IPv4 address inside
    (Python 3.11 does not: `::ffff:127.0.0.1` is not `is_loopback` there)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return address_refused(str(inner))
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    if not ip.is_global:  # shared address space (100.64/10), documentation ranges…
        return f"{address} is not a public address"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal: itself)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"{host} does not resolve ({exc})") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


async def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses to connect to; refused when any of them is internal (one internal answer among
    public ones is still a way in: a client may pick it)."""
    addresses = await resolve(host, port)
    if not allow_private:
        for address in addresses:
            if (why := address_refused(address)) is not None:
                raise TargetRefused(f"{host} resolves to {why}: webhooks go to public addresses only")
    return addresses


async def check_target(url: str, *, allow_http: bool, allow_private: bool) -> None:
    """Refuse a webhook URL (TargetRefused): not https (unless `allow_http`), credentials in it, or a host
    resolving to an internal address (unless `allow_private`)."""
    parsed = httpx.URL(url)
    if parsed.scheme != "https" and not (allow_http and parsed.scheme == "http"):
        raise TargetRefused("a webhook URL must be https" + ("" if allow_http else " (plain http only in development)"))
    if parsed.userinfo:
        raise TargetRefused("a webhook URL carries no credentials: verify the signature instead")
    if not parsed.host:
        raise TargetRefused("a webhook URL needs a host")
    if not allow_private:  # with private targets allowed (development) there is nothing to look up
        await checked_addresses(
            parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80), allow_private=False
        )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving the host itself and connecting only to addresses it has
    checked: the delivery-time check is the connection's own (no second, unchecked DNS answer). TLS
    still verifies the certificate against the URL's host name (httpcore passes it as SNI)."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        last: Exception | None = None
        for address in await checked_addresses(host, port, allow_private=self.allow_private):
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise TargetRefused("webhooks are not delivered to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_client(settings: Settings) -> httpx.AsyncClient:
    """The deliverer's client: no redirects (a 3xx could point inside), no proxies from the environment
    (the address check must see the real target), connections only through `GuardedBackend`."""
    transport = httpx.AsyncHTTPTransport()
    # httpx does not expose the network backend: its pool is replaced by one built on the guarded backend.
    transport._pool = httpcore.AsyncConnectionPool(  # noqa: SLF001
        ssl_context=httpx.create_ssl_context(), network_backend=GuardedBackend(settings.webhooks_allow_private_targets)
    )
    return httpx.AsyncClient(
        transport=transport, timeout=settings.webhook_timeout_s, follow_redirects=False, trust_env=False
    )


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
            counts = await queries.count_overdue_by_measure(session)
        for measure in [f"M{i}" for i in range(1, 21)]:
            OVERDUE.labels(measure).set(counts.get(measure, 0))

    async def deliver_one(self) -> bool:
        """Send the next due delivery of an active webhook; False when none is due. Each attempt is logged."""
        assert self._client is not None
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(WebhookDelivery, Webhook)
                    .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                    .where(
                        WebhookDelivery.status == "pending",
                        WebhookDelivery.next_attempt_at <= datetime.now(UTC),
                        Webhook.active.is_(True),
                    )
                    .order_by(WebhookDelivery.next_attempt_at)
                    .limit(1)
                    .with_for_update(skip_locked=True, of=WebhookDelivery)
                )
            ).first()
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
