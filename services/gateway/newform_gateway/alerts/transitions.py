"""Acting on an alert (M16, M20): acknowledge, comment, decide — who may do what, the transition
row, the credit record a confirming decision makes, the deliveries; and the replay of the gateway's
own `gateway.alert.*.v1` events.

Who may do what: every department the alert is routed to (and the regulator) acknowledges and
comments; only the measure's lead department — the first unit the policy lists — decides, with one of
`OUTCOMES`: the finding confirmed, or the policy's 约谈 / 警示 / 查处 (interviewed, warned, penalized:
each confirms it), or dismissed. A confirming decision of a rule in the credit rules makes a credit
record. Every step is a `gateway.alert.*.v1` event (on gateway.events, so a rebuild replays it) and an
`alert_transitions` row with action, actor, time and note.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope

from ..credit import records as credit_records
from ..projections.base import Context
from . import repository, routing
from .deliveries import queue_deliveries
from .findings import parse_time
from .models import (
    ACKNOWLEDGED,
    ALLOWED,
    COMMENTED,
    CONFIRMING_OUTCOMES,
    OPEN,
    OUTCOMES,
    RESOLVED,
    Alert,
    AlertStatus,
    AlertTransition,
)

log = logging.getLogger(__name__)


class TransitionRefused(Exception):
    """The alert is not in a state that allows the step (HTTP 409)."""


class NotTheDecider(Exception):
    """Only the measure's lead department decides an alert (HTTP 403)."""


def check_transition(
    alert: Alert,
    action: str,
    outcome: str | None,
    *,
    actor_department: str | None,
    acknowledged_by: set[str] | None = None,
) -> None:
    """Refuse a step the alert's state or the actor's role does not allow. `acknowledged_by`: the
    departments (or actors) that acknowledged it already, each acknowledges once."""
    if action == COMMENTED:
        return
    if AlertStatus(action) not in ALLOWED[AlertStatus(alert.status)]:  # only a resolved alert refuses a step
        raise TransitionRefused("The alert is already resolved")
    if action == ACKNOWLEDGED:
        if actor_department in (acknowledged_by or set()):
            raise TransitionRefused(f"{actor_department} has acknowledged this alert already")
        return
    lead = routing.lead_department(
        alert.measure,
        district=alert.district,
        on=alert.first_observed_at,
        responsible=routing.alert_responsible(alert.evidence),
    )
    if actor_department is None or actor_department != lead:
        raise NotTheDecider(
            f"The lead department of {alert.measure} ({lead}) decides this alert; "
            "other departments acknowledge and comment"
        )
    if outcome not in OUTCOMES:
        raise TransitionRefused(f"A decision needs an outcome: one of {', '.join(OUTCOMES)}")


def acknowledger(actor_department: str | None, actor: str) -> str:
    """Who an acknowledgement counts for: the department, or the regulator/admin person."""
    return actor_department or f"actor:{actor}"


async def acknowledged_by(session: AsyncSession, alert_ids: list[str]) -> dict[str, set[str]]:
    """{alert id: who acknowledged it already (`acknowledger`)} for these alerts."""
    return {
        alert_id: {acknowledger(department, actor) for department, actor in steps}
        for alert_id, steps in (await repository.acknowledgers(session, alert_ids)).items()
    }


async def apply_transition(
    session: AsyncSession,
    alert: Alert,
    *,
    event_id: str,
    action: str,
    actor: str,
    actor_role: str,
    actor_department: str | None,
    note: str | None,
    at: datetime,
    outcome: str | None,
    ctx: Context,
    acknowledged: set[str] | None = None,
    flush: bool = True,
) -> AlertTransition:
    """Record one action on the alert (checked by `check_transition`): who/when/why, the status it leads
    to, and the credit record when the lead department confirms a configured rule (M6, M19).
    `acknowledged`: who acknowledged the alert already, when the caller read it (else read here);
    `flush=False`: the caller flushes (a replay's round, once for all its actions)."""
    acknowledging = action == ACKNOWLEDGED
    if acknowledging and acknowledged is None:
        acknowledged = (await acknowledged_by(session, [alert.alert_id]))[alert.alert_id]
    check_transition(
        alert,
        action,
        outcome,
        actor_department=acknowledger(actor_department, actor) if acknowledging else actor_department,
        acknowledged_by=acknowledged if acknowledging else None,
    )
    to_status = {ACKNOWLEDGED: ACKNOWLEDGED, COMMENTED: alert.status, RESOLVED: RESOLVED}[action]
    transition = AlertTransition(
        event_id=event_id,
        alert_id=alert.alert_id,
        action=action,
        from_status=alert.status,
        to_status=to_status,
        outcome=outcome,
        actor=actor,
        actor_role=actor_role,
        actor_department=actor_department,
        note=note,
        at=at,
    )
    session.add(transition)
    if action == COMMENTED:
        if flush:
            await session.flush()
        return transition
    if action == ACKNOWLEDGED and alert.status == OPEN:
        alert.acknowledged_at = at
    alert.status = to_status
    if action == RESOLVED:
        alert.resolved_at = at
        alert.resolution = outcome
        spec = (
            credit_records.record_rule_for(ctx.credit_rules, alert, outcome) if outcome in CONFIRMING_OUTCOMES else None
        )
        if spec is not None:  # a bad-conduct record (credit/records.py); None when the debt has its record already
            made = await credit_records.credit_record_for(
                session, alert, spec, actor=actor, at=at, resolution_event_id=event_id
            )
            if made is not None:
                session.add(made)
    # Every department holding the alert hears of the step (a rebuild has no webhooks: nothing re-sent).
    if ctx.webhooks:
        await queue_deliveries(session, alert, f"alert.{action}")
    if flush:
        await session.flush()
    return transition


#: The gateway's own alert events and the action each records.
ACTION_OF_EVENT = {
    "gateway.alert.acknowledged.v1": ACKNOWLEDGED,
    "gateway.alert.commented.v1": COMMENTED,
    "gateway.alert.resolved.v1": RESOLVED,
}


async def project_alert_actions(session: AsyncSession, envelopes: list[Envelope], ctx: Context) -> None:
    """Replay of the gateway's own `gateway.alert.*.v1` events not recorded yet, each on a different alert
    (a round of `rounds.py`), in order: the alerts locked and read, and their acknowledgements, with one
    statement each; the steps flushed together. Live, the API applied each step in the request's
    transaction already (same event id) and the caller skipped it (`repository.recorded_actions`); in a
    rebuild it is applied here."""
    if not envelopes:
        return
    alerts = await repository.lock_alerts_fresh(session, [str(e.data.get("alert_id")) for e in envelopes])
    acknowledged = await acknowledged_by(session, list(alerts))
    for envelope in envelopes:
        d = envelope.data
        alert = alerts.get(str(d.get("alert_id")))
        if alert is None:
            log.warning("alert action %s for unknown alert %s", envelope.id, d.get("alert_id"))
            continue
        try:
            await apply_transition(
                session,
                alert,
                event_id=envelope.id,
                action=ACTION_OF_EVENT[envelope.type],
                actor=d.get("actor", "?"),
                actor_role=d.get("actor_role", "?"),
                actor_department=d.get("actor_department"),
                note=d.get("note"),
                at=parse_time(d.get("at"), envelope.time),
                outcome=d.get("outcome"),
                ctx=ctx,
                acknowledged=acknowledged[alert.alert_id],
                flush=False,
            )
        except (TransitionRefused, NotTheDecider) as exc:
            log.warning("alert action %s not applicable: %s", envelope.id, exc)
    await session.flush()
