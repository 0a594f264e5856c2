"""Use cases of the gateway's own writes: acting on alerts, registering webhooks. Never commits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal, Role
from newform_common.errors import Conflict, Forbidden, NotFound, Problem, Unprocessable
from newform_common.outbox import record
from newform_common.pagination import Page, PageParams, page_of

from . import alerts, queries, routing, webhooks
from .alerts import Context
from .config import Settings
from .events import AlertAcknowledged, AlertCommented, AlertResolved
from .models import Alert, Webhook, WebhookDelivery, WebhookDeliveryAttempt
from .schemas import WebhookCreate, WebhookDeliveryAttemptPublic, WebhookDeliveryPublic, WebhookUpdate


async def act_on_alert(
    session: AsyncSession,
    principal: Principal,
    ctx: Context,
    alert_id: str,
    *,
    action: str,
    note: str | None,
    outcome: str | None = None,
) -> Alert:
    """Acknowledge, comment on or decide (`action`: acknowledged | commented | resolved) an alert the
    caller may see (404 otherwise); deciding is the measure's lead department's (403 otherwise). The step
    is applied now and published as a `gateway.alert.*.v1` event in the same transaction, so a rebuild
    replays it."""
    alert = await queries.get_visible_alert(session, principal, alert_id, for_update=True)
    department = routing.department_key(principal)
    acknowledging = action == alerts.ACKNOWLEDGED
    try:
        alerts.check_transition(
            alert,
            action,
            outcome,
            actor_department=alerts.acknowledger(department, principal.subject) if acknowledging else department,
            acknowledged_by=await alerts.acknowledged_by(session, alert.alert_id) if acknowledging else None,
        )
    except alerts.TransitionRefused as exc:
        raise Conflict(str(exc)) from exc
    except alerts.NotTheDecider as exc:
        raise Forbidden(str(exc)) from exc
    now = datetime.now(UTC)
    actor = dict(
        alert_id=alert.alert_id,
        actor=principal.subject,
        actor_role=str(principal.role),
        actor_department=department,
        note=note,
        at=now,
    )
    event = {
        alerts.ACKNOWLEDGED: lambda: AlertAcknowledged(**actor),
        alerts.COMMENTED: lambda: AlertCommented(**actor),
        alerts.RESOLVED: lambda: AlertResolved(**actor, outcome=outcome),
    }[action]()
    envelope = record(session, event, time=now)
    await alerts.apply_transition(
        session,
        alert,
        event_id=envelope.id,
        action=action,
        actor=principal.subject,
        actor_role=str(principal.role),
        actor_department=department,
        note=note,
        at=now,
        outcome=outcome,
        ctx=ctx,
    )
    return alert


async def check_webhook_url(settings: Settings, url: str) -> None:
    """422 `webhook-target-refused` for a URL the gateway must not POST to (webhooks.check_target)."""
    if len(url) > 2000:
        raise Unprocessable("A webhook URL has at most 2000 characters", slug="webhook-target-refused")
    try:
        await webhooks.check_target(
            url, allow_http=settings.webhooks_allow_http, allow_private=settings.webhooks_allow_private_targets
        )
    except webhooks.TargetRefused as exc:
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
    hook.secret = body.secret or webhooks.generate_secret()
    hook.payload_version = body.payload_version
    hook.created_by, hook.created_at = principal.subject, datetime.now(UTC)
    session.add(hook)
    await session.flush()
    return hook


def _owned_by(principal: Principal):
    """The subscriber's own webhooks: a platform's (by platform id), a department's (by its routing key:
    each district government, all `county`, its own)."""
    if principal.role == Role.platform:
        return Webhook.platform_id == principal.platform_id
    return Webhook.department == routing.department_key(principal)


async def list_webhooks(session: AsyncSession, principal: Principal) -> list[Webhook]:
    q = select(Webhook).order_by(Webhook.id)
    if not principal.is_oversight():
        q = q.where(_owned_by(principal))
    return list((await session.execute(q)).scalars())


async def get_webhook(
    session: AsyncSession, principal: Principal, webhook_id: int, *, for_update: bool = False
) -> Webhook:
    """The caller's webhook (oversight reads any); another subscriber's answers 404, as if absent."""
    q = select(Webhook).where(Webhook.id == webhook_id)
    if for_update:
        q = q.with_for_update()
    if not principal.is_oversight():
        q = q.where(_owned_by(principal))
    hook = (await session.execute(q)).scalar_one_or_none()
    if hook is None:
        raise NotFound(f"No webhook {webhook_id}")
    return hook


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
    await session.execute(delete(WebhookDeliveryAttempt).where(WebhookDeliveryAttempt.webhook_id == hook.id))
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id))
    await session.delete(hook)
    await session.flush()


async def rotate_webhook_secret(
    session: AsyncSession, principal: Principal, webhook_id: int, grace: timedelta
) -> tuple[Webhook, str]:
    """Only the subscriber rotates its secret (another caller's webhook is 404, as if absent)."""
    hook = await owned_webhook(session, principal, webhook_id)
    return hook, await webhooks.rotate_secret(session, hook, grace)


async def _delivery_public(session: AsyncSession, deliveries: list[WebhookDelivery]) -> list[WebhookDeliveryPublic]:
    ids = [d.delivery_id for d in deliveries]
    log: dict[str, list[WebhookDeliveryAttemptPublic]] = {i: [] for i in ids}
    if ids:
        for a in (
            await session.execute(
                select(WebhookDeliveryAttempt)
                .where(WebhookDeliveryAttempt.delivery_id.in_(ids))
                .order_by(WebhookDeliveryAttempt.id)
            )
        ).scalars():
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
    q = select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
    if status:
        q = q.where(WebhookDelivery.status == status)
    if params.after:
        try:
            q = q.where(WebhookDelivery.id < int(params.after[0]))
        except (TypeError, ValueError) as exc:
            raise Problem("The cursor is not one this API issued", status=400, slug="bad-cursor") from exc
    rows = list((await session.execute(q.order_by(WebhookDelivery.id.desc()).limit(params.limit + 1))).scalars())
    ids = {d.delivery_id: d.id for d in rows}
    return page_of(await _delivery_public(session, rows), params, lambda d: [ids[d.delivery_id]])


async def _delivery(
    session: AsyncSession, hook: Webhook, delivery_id: str, *, for_update: bool = False
) -> WebhookDelivery:
    q = select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id, WebhookDelivery.delivery_id == delivery_id)
    if for_update:
        q = q.with_for_update()
    delivery = (await session.execute(q)).scalar_one_or_none()
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
