"""The webhooks' queries: subscriptions the caller owns (or, for oversight, any), deliveries and their
attempts, the next due delivery (claimed with FOR UPDATE SKIP LOCKED: several gateway instances may
deliver), and the idempotency record of a registration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal, Role
from newform_common.errors import NotFound
from newform_common.idempotency import IdempotencyRecord

from ..alerts import routing
from .models import Webhook, WebhookDelivery, WebhookDeliveryAttempt


def _owned_by(principal: Principal):
    """The subscriber's own webhooks: a platform's (by platform id), a department's (by its routing key:
    each district government, all `county`, its own)."""
    if principal.role == Role.platform:
        return Webhook.platform_id == principal.platform_id
    return Webhook.department == routing.department_key(principal)


async def visible_webhooks(session: AsyncSession, principal: Principal) -> list[Webhook]:
    q = select(Webhook).order_by(Webhook.id)
    if not principal.is_oversight():
        q = q.where(_owned_by(principal))
    return list((await session.execute(q)).scalars())


async def get_visible_webhook(
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


async def delete_webhook(session: AsyncSession, hook: Webhook) -> None:
    """The webhook with its pending deliveries and its log."""
    await session.execute(delete(WebhookDeliveryAttempt).where(WebhookDeliveryAttempt.webhook_id == hook.id))
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id))
    await session.delete(hook)


async def attempts_of(session: AsyncSession, delivery_ids: list[str]) -> list[WebhookDeliveryAttempt]:
    return list(
        (
            await session.execute(
                select(WebhookDeliveryAttempt)
                .where(WebhookDeliveryAttempt.delivery_id.in_(delivery_ids))
                .order_by(WebhookDeliveryAttempt.id)
            )
        ).scalars()
    )


async def deliveries_page(
    session: AsyncSession, webhook_id: int, limit: int, *, status: str | None, before: int | None
) -> list[WebhookDelivery]:
    """The webhook's deliveries newest first (row ids below `before`), `limit` and one more."""
    q = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if status:
        q = q.where(WebhookDelivery.status == status)
    if before is not None:
        q = q.where(WebhookDelivery.id < before)
    return list((await session.execute(q.order_by(WebhookDelivery.id.desc()).limit(limit + 1))).scalars())


async def get_delivery(
    session: AsyncSession, webhook_id: int, delivery_id: str, *, for_update: bool = False
) -> WebhookDelivery | None:
    q = select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.delivery_id == delivery_id
    )
    if for_update:
        q = q.with_for_update()
    return (await session.execute(q)).scalar_one_or_none()


async def claim_due_delivery(session: AsyncSession, now: datetime) -> tuple[WebhookDelivery, Webhook] | None:
    """The next pending delivery due by `now` of an active webhook, locked (skipping those another
    instance holds), with its webhook."""
    row = (
        await session.execute(
            select(WebhookDelivery, Webhook)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                Webhook.active.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def idempotency_record(session: AsyncSession, scope: str, key: str) -> IdempotencyRecord | None:
    return await session.get(IdempotencyRecord, (scope, key))
