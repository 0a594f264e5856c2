"""Webhook deliveries of alerts (outbox-like): a delivery row per subscribed webhook, written in the
transaction that changed the alert; `webhooks/deliverer.py` sends them. Departments the alert is routed
to hear of it, and the platform it is about — unless it is about a public body (the platform is then a
party to the dispute, not the subject)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..webhooks.models import WebhookDelivery
from . import repository, routing
from .models import Alert


def alert_payload(alert: Alert, event: str = "alert.raised") -> dict[str, Any]:
    """What a webhook receives about an alert (JSON-ready): `event` is alert.raised,
    alert.acknowledged or alert.resolved; the rest is the alert as it stands."""
    return payload_of_row({c: getattr(alert, c) for c in _PAYLOAD_COLUMNS}, event)


_PAYLOAD_COLUMNS = (
    "alert_id",
    "measure",
    "rule",
    "severity",
    "summary",
    "subject_type",
    "subject_id",
    "platform_id",
    "enterprise_id",
    "worker_id",
    "occupation",
    "district",
    "departments",
    "status",
    "raised_at",
    "due_at",
    "evidence",
    "resolution",
)


def payload_of_row(row: dict[str, Any], event: str) -> dict[str, Any]:
    """`alert_payload` of an alert held as a row (a dict of its columns)."""
    return {
        "event": event,
        **{c: row[c] for c in _PAYLOAD_COLUMNS},
        "raised_at": row["raised_at"].isoformat(),
        "due_at": row["due_at"].isoformat(),
    }


async def queue_deliveries(session: AsyncSession, alert: Alert, event: str) -> None:
    """Outbox-like: a delivery row per subscribed webhook (the departments the alert is routed to, its
    platform), in the transaction that changed the alert (the deliverer sends it until received)."""
    hooks = await repository.subscribed_hooks(session, alert)
    payload = alert_payload(alert, event)
    for hook in hooks:
        session.add(
            WebhookDelivery(
                delivery_id=f"dlv_{uuid.uuid4().hex}",
                webhook_id=hook.id,
                alert_id=alert.alert_id,
                payload={**payload, "department": hook.department},
                next_attempt_at=datetime.now(UTC),
            )
        )


def raised_deliveries(alert: dict[str, Any], hooks: dict[tuple[str, str], list[int]]) -> list[dict[str, Any]]:
    """`queue_deliveries(..., "alert.raised")` of a new alert held as a row (`hooks`: the active webhooks
    by subscriber, `repository.active_hooks`): each department it is
    routed to, and the platform it is about (a platform hears of findings about itself)."""
    deliveries = []
    now = datetime.now(UTC)
    payload = payload_of_row(alert, "alert.raised")
    subscribers = [(("department", d), d) for d in dict.fromkeys(alert["departments"])]
    if alert.get("platform_id") and routing.alert_responsible(alert["evidence"]) is None:  # not about a body
        subscribers.append((("platform", alert["platform_id"]), None))
    for subscriber, department in subscribers:
        for hook_id in hooks.get(subscriber, ()):
            deliveries.append(
                dict(
                    delivery_id=f"dlv_{uuid.uuid4().hex}",
                    webhook_id=hook_id,
                    alert_id=alert["alert_id"],
                    payload={**payload, "department": department},
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                )
            )
    return deliveries
