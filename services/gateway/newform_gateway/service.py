"""Use cases of the gateway's own writes: acting on alerts, registering webhooks. Never commits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal, Role
from newform_common.errors import Conflict, Forbidden, NotFound
from newform_common.outbox import record

from . import alerts, queries, routing, webhooks
from .alerts import Context
from .events import AlertAcknowledged, AlertCommented, AlertResolved
from .models import Alert, Webhook
from .schemas import WebhookCreate


async def act_on_alert(session: AsyncSession, principal: Principal, ctx: Context, alert_id: str, *,
                       action: str, note: str | None, outcome: str | None = None) -> Alert:
    """Acknowledge, comment on or decide (`action`: acknowledged | commented | resolved) an alert the
    caller may see (404 otherwise); deciding is the measure's lead department's (403 otherwise). The step
    is applied now and published as a `gateway.alert.*.v1` event in the same transaction, so a rebuild
    replays it."""
    alert = await queries.get_visible_alert(session, principal, alert_id, for_update=True)
    department = routing.department_key(principal)
    acknowledging = action == alerts.ACKNOWLEDGED
    try:
        alerts.check_transition(
            alert, action, outcome,
            actor_department=alerts.acknowledger(department, principal.subject) if acknowledging else department,
            acknowledged_by=await alerts.acknowledged_by(session, alert.alert_id) if acknowledging else None)
    except alerts.TransitionRefused as exc:
        raise Conflict(str(exc)) from exc
    except alerts.NotTheDecider as exc:
        raise Forbidden(str(exc)) from exc
    now = datetime.now(UTC)
    actor = dict(alert_id=alert.alert_id, actor=principal.subject, actor_role=str(principal.role),
                 actor_department=department, note=note, at=now)
    event = {alerts.ACKNOWLEDGED: lambda: AlertAcknowledged(**actor),
             alerts.COMMENTED: lambda: AlertCommented(**actor),
             alerts.RESOLVED: lambda: AlertResolved(**actor, outcome=outcome)}[action]()
    envelope = record(session, event, time=now)
    await alerts.apply_transition(session, alert, event_id=envelope.id, action=action, actor=principal.subject,
                                  actor_role=str(principal.role), actor_department=department,
                                  note=note, at=now, outcome=outcome, ctx=ctx)
    return alert


async def register_webhook(session: AsyncSession, principal: Principal, body: WebhookCreate) -> Webhook:
    """A department's token subscribes its department; a platform's token subscribes its platform."""
    department = routing.department_key(principal)
    if principal.role == Role.platform and principal.platform_id:
        hook = Webhook(platform_id=principal.platform_id, department=None, url=str(body.url))
    elif principal.role == Role.department and department is not None:
        hook = Webhook(department=department, url=str(body.url))
    else:
        raise Forbidden("Only a department token (with its department scope) or a platform token registers a webhook")
    hook.secret = body.secret or webhooks.generate_secret()
    hook.created_by, hook.created_at = principal.subject, datetime.now(UTC)
    session.add(hook)
    await session.flush()
    return hook


def _owned_by(principal: Principal):
    if principal.is_oversight():
        return True
    if principal.role == Role.platform:
        return Webhook.platform_id == principal.platform_id
    return Webhook.department == routing.department_key(principal)


async def list_webhooks(session: AsyncSession, principal: Principal) -> list[Webhook]:
    q = select(Webhook).order_by(Webhook.id)
    if not principal.is_oversight():
        q = q.where(_owned_by(principal))
    return list((await session.execute(q)).scalars())


async def rotate_webhook_secret(session: AsyncSession, principal: Principal, webhook_id: int,
                                grace: timedelta) -> tuple[Webhook, str]:
    """Only the subscriber rotates its secret (another caller's webhook is 404, as if absent)."""
    q = select(Webhook).where(Webhook.id == webhook_id).with_for_update()
    if not principal.is_oversight():
        q = q.where(_owned_by(principal))
    hook = (await session.execute(q)).scalar_one_or_none()
    if hook is None:
        raise NotFound(f"No webhook {webhook_id}")
    return hook, await webhooks.rotate_secret(session, hook, grace)
