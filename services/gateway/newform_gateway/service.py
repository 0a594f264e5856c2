"""Use cases of the gateway's own writes: acting on alerts, registering webhooks. Never commits."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.errors import Conflict, Forbidden
from newform_common.outbox import record

from . import alerts, queries, routing
from .alerts import Context
from .events import AlertAcknowledged, AlertResolved
from .models import Alert, Webhook
from .schemas import WebhookCreate


async def act_on_alert(session: AsyncSession, principal: Principal, ctx: Context, alert_id: str, *,
                       to_status: str, note: str | None, outcome: str | None = None) -> Alert:
    """Acknowledge or resolve an alert the caller may see (404 otherwise). The step is applied now and
    published as a `gateway.alert.*.v1` event in the same transaction, so a rebuild replays it."""
    alert = await queries.get_visible_alert(session, principal, alert_id, for_update=True)
    try:
        alerts.check_transition(alert, to_status, outcome)
    except alerts.TransitionRefused as exc:
        raise Conflict(str(exc)) from exc
    now = datetime.now(UTC)
    actor = dict(alert_id=alert.alert_id, actor=principal.subject, actor_role=str(principal.role),
                 actor_department=routing.department_key(principal), note=note, at=now)
    event = AlertAcknowledged(**actor) if to_status == alerts.ACKNOWLEDGED else AlertResolved(**actor, outcome=outcome)
    envelope = record(session, event, time=now)
    await alerts.apply_transition(session, alert, event_id=envelope.id, to_status=to_status, actor=principal.subject,
                                  actor_role=str(principal.role), actor_department=actor["actor_department"],
                                  note=note, at=now, outcome=outcome, ctx=ctx)
    return alert


async def register_webhook(session: AsyncSession, principal: Principal, body: WebhookCreate) -> Webhook:
    key = routing.department_key(principal)
    if key is None:
        raise Forbidden("Only a department token (with its department scope) registers a webhook")
    hook = Webhook(department=key, url=str(body.url), secret=body.secret or secrets.token_urlsafe(32),
                   created_by=principal.subject, created_at=datetime.now(UTC))
    session.add(hook)
    await session.flush()
    return hook


async def list_webhooks(session: AsyncSession, principal: Principal) -> list[Webhook]:
    q = select(Webhook).order_by(Webhook.id)
    if not principal.is_oversight():
        q = q.where(Webhook.department == routing.department_key(principal))
    return list((await session.execute(q)).scalars())
