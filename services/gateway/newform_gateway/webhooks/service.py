"""Use cases of webhooks: registering, reading, changing, deleting a subscription, rotating its secret,
its delivery log and redelivery. Never commits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal, Role
from newform_common.errors import Conflict, Forbidden, NotFound, Problem, Unprocessable
from newform_common.pagination import Page, PageParams, page_of

from ..alerts import routing
from ..config import Settings
from . import repository, targets
from .models import Webhook, WebhookDelivery
from .schemas import WebhookCreate, WebhookDeliveryAttemptPublic, WebhookDeliveryPublic, WebhookUpdate
from .signing import generate_secret


async def rotate_secret(session: AsyncSession, hook: Webhook, grace: timedelta) -> str:
    """A new secret signs from now on; the current one keeps signing too for `grace`."""
    now = datetime.now(UTC)
    hook.previous_secret, hook.previous_secret_expires_at = hook.secret, now + grace
    hook.secret = generate_secret()
    await session.flush()
    return hook.secret


async def check_webhook_url(settings: Settings, url: str) -> None:
    """422 `webhook-target-refused` for a URL the gateway must not POST to (webhooks.check_target)."""
    if len(url) > 2000:
        raise Unprocessable("A webhook URL has at most 2000 characters", slug="webhook-target-refused")
    try:
        await targets.check_target(
            url, allow_http=settings.webhooks_allow_http, allow_private=settings.webhooks_allow_private_targets
        )
    except targets.TargetRefused as exc:
        raise Unprocessable(f"Refused webhook URL: {exc}", slug="webhook-target-refused") from exc


async def register_webhook(
    session: AsyncSession, principal: Principal, body: WebhookCreate, settings: Settings
) -> Webhook:
    """A department's token subscribes its department; a platform's token subscribes its platform."""
    department = routing.department_key(principal)
    if principal.role == Role.platform and principal.platform_id:
        hook = Webhook(platform_id=principal.platform_id, department=None, url=str(body.url))
    elif principal.role == Role.department and department is not None:
        hook = Webhook(department=department, url=str(body.url))
    else:
        raise Forbidden("Only a department token (with its department scope) or a platform token registers a webhook")
    await check_webhook_url(settings, hook.url)
    hook.secret = body.secret or generate_secret()
    hook.payload_version = body.payload_version
    hook.created_by, hook.created_at = principal.subject, datetime.now(UTC)
    session.add(hook)
    await session.flush()
    return hook


async def list_webhooks(session: AsyncSession, principal: Principal) -> list[Webhook]:
    return await repository.visible_webhooks(session, principal)


async def get_webhook(
    session: AsyncSession, principal: Principal, webhook_id: int, *, for_update: bool = False
) -> Webhook:
    """The caller's webhook (oversight reads any); another subscriber's answers 404, as if absent."""
    return await repository.get_visible_webhook(session, principal, webhook_id, for_update=for_update)


async def owned_webhook(session: AsyncSession, principal: Principal, webhook_id: int) -> Webhook:
    """For changes: the subscriber's own only (oversight reads but does not manage: a regulator rotating a
    department's secret would hold its key and break its receiver)."""
    if principal.is_oversight():
        raise Forbidden("Only the subscriber manages its webhook")
    return await get_webhook(session, principal, webhook_id, for_update=True)


async def update_webhook(
    session: AsyncSession, principal: Principal, webhook_id: int, body: WebhookUpdate, settings: Settings
) -> Webhook:
    hook = await owned_webhook(session, principal, webhook_id)
    if body.url is not None:
        await check_webhook_url(settings, str(body.url))
        hook.url = str(body.url)
    if body.active is not None:
        hook.active = body.active
    if body.payload_version is not None:
        hook.payload_version = body.payload_version
    hook.updated_at = datetime.now(UTC)
    await session.flush()
    return hook


async def delete_webhook(session: AsyncSession, principal: Principal, webhook_id: int) -> None:
    """Gone with its pending deliveries and its log (operational state: nothing else refers to it)."""
    hook = await owned_webhook(session, principal, webhook_id)
    await repository.delete_webhook(session, hook)
    await session.flush()


async def rotate_webhook_secret(
    session: AsyncSession, principal: Principal, webhook_id: int, grace: timedelta
) -> tuple[Webhook, str]:
    """Only the subscriber rotates its secret (another caller's webhook is 404, as if absent)."""
    hook = await owned_webhook(session, principal, webhook_id)
    return hook, await rotate_secret(session, hook, grace)


async def _delivery_public(session: AsyncSession, deliveries: list[WebhookDelivery]) -> list[WebhookDeliveryPublic]:
    ids = [d.delivery_id for d in deliveries]
    log: dict[str, list[WebhookDeliveryAttemptPublic]] = {i: [] for i in ids}
    if ids:
        for a in await repository.attempts_of(session, ids):
            log[a.delivery_id].append(WebhookDeliveryAttemptPublic.model_validate(a, from_attributes=True))
    return [
        WebhookDeliveryPublic(
            delivery_id=d.delivery_id,
            webhook_id=d.webhook_id,
            alert_id=d.alert_id,
            event=d.payload.get("event", ""),
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            last_error=d.last_error,
            delivered_at=d.delivered_at,
            created_at=d.created_at,
            attempt_log=log[d.delivery_id],
        )
        for d in deliveries
    ]


async def list_deliveries(
    session: AsyncSession, principal: Principal, webhook_id: int, params: PageParams, status: str | None
) -> Page[WebhookDeliveryPublic]:
    """The delivery log of one webhook, newest first (cursor: the row id)."""
    hook = await get_webhook(session, principal, webhook_id)
    before = None
    if params.after:
        try:
            before = int(params.after[0])
        except (TypeError, ValueError) as exc:
            raise Problem("The cursor is not one this API issued", status=400, slug="bad-cursor") from exc
    rows = await repository.deliveries_page(session, hook.id, params.limit, status=status, before=before)
    ids = {d.delivery_id: d.id for d in rows}
    return page_of(await _delivery_public(session, rows), params, lambda d: [ids[d.delivery_id]])


async def _delivery(
    session: AsyncSession, hook: Webhook, delivery_id: str, *, for_update: bool = False
) -> WebhookDelivery:
    delivery = await repository.get_delivery(session, hook.id, delivery_id, for_update=for_update)
    if delivery is None:
        raise NotFound(f"No delivery {delivery_id} of webhook {hook.id}")
    return delivery


async def get_delivery(
    session: AsyncSession, principal: Principal, webhook_id: int, delivery_id: str
) -> WebhookDeliveryPublic:
    hook = await get_webhook(session, principal, webhook_id)
    return (await _delivery_public(session, [await _delivery(session, hook, delivery_id)]))[0]


async def redeliver(
    session: AsyncSession, principal: Principal, webhook_id: int, delivery_id: str
) -> WebhookDeliveryPublic:
    """Send a delivery again now, with the same `webhook-id` (a receiver that has it already dedupes), a
    fresh attempt budget and the webhook's current URL, secrets and payload version. 409 while the
    webhook is disabled (nothing would be sent)."""
    hook = await owned_webhook(session, principal, webhook_id)
    if not hook.active:
        raise Conflict(f"Webhook {hook.id} is disabled: enable it first", slug="webhook-disabled")
    delivery = await _delivery(session, hook, delivery_id, for_update=True)
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, datetime.now(UTC)
    await session.flush()
    return (await _delivery_public(session, [delivery]))[0]
