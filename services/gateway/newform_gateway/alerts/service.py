"""Alerts as the API and the dashboard read them (scoped to the caller), and the one write use case:
acting on an alert (acknowledge, comment, decide), published as a `gateway.alert.*.v1` event. Never commits."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.clock import BUSINESS_TZ
from newform_common.errors import Conflict, Forbidden
from newform_common.outbox import record
from newform_common.pagination import PageParams, page_of

from ..events import AlertAcknowledged, AlertCommented, AlertResolved
from ..projections.base import Context
from . import repository, routing, transitions
from .models import ACKNOWLEDGED, COMMENTED, RESOLVED, Alert
from .schemas import AlertDetail, AlertPublic, TransitionPublic


def alert_public(alert: Alert, now: datetime | None = None) -> AlertPublic:
    now = now or datetime.now(UTC)
    lead = routing.lead_department(
        alert.measure,
        district=alert.district,
        on=alert.first_observed_at,
        responsible=routing.alert_responsible(alert.evidence),
    )
    return AlertPublic.model_validate(
        {
            **alert.model_dump(),
            "overdue": is_overdue(alert, now),
            "provisional": is_provisional(alert),
            "lead_department": lead,
        }
    )


def is_provisional(alert: Alert) -> bool:
    """Some finding of the alert was judged under lapsed municipal measures (policy_basis.provisional)."""
    return any(
        isinstance(e.get("evidence"), dict) and (e["evidence"].get("policy_basis") or {}).get("provisional")
        for e in alert.evidence
    )


def is_overdue(alert: Alert, now: datetime) -> bool:
    return alert.status != RESOLVED and alert.due_at < now


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of a YYYY-MM month in Asia/Shanghai (business time)."""
    year, number = (int(part) for part in month.split("-"))
    following = (year + 1, 1) if number == 12 else (year, number + 1)
    return (
        datetime(year, number, 1, tzinfo=BUSINESS_TZ),
        datetime(following[0], following[1], 1, tzinfo=BUSINESS_TZ),
    )


async def list_alerts(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None = None,
    measure: str | None = None,
    department: str | None = None,
    platform_id: str | None = None,
    overdue: bool | None = None,
    district: str | None = None,
    month: str | None = None,
):
    """The caller's alerts, newest first; `month` (YYYY-MM) selects those raised in that Asia/Shanghai month."""
    now = datetime.now(UTC)
    rows = await repository.alerts_page(
        session,
        principal,
        params,
        now=now,
        status=status,
        measure=measure,
        department=department,
        platform_id=platform_id,
        overdue=overdue,
        district=district,
        raised_between=month_bounds(month) if month else None,
    )
    items = [alert_public(a, now) for a in rows]
    return page_of(items, params, lambda a: [a.raised_at.isoformat(), a.alert_id])


async def alert_detail(session: AsyncSession, alert: Alert) -> AlertDetail:
    steps = await repository.transitions_of(session, alert.alert_id)
    public = alert_public(alert)
    return AlertDetail(
        **public.model_dump(),
        evidence=alert.evidence,
        transitions=[TransitionPublic.model_validate(t) for t in steps],
    )


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
    alert = await repository.get_visible_alert(session, principal, alert_id, for_update=True)
    department = routing.department_key(principal)
    acknowledging = action == ACKNOWLEDGED
    try:
        transitions.check_transition(
            alert,
            action,
            outcome,
            actor_department=transitions.acknowledger(department, principal.subject) if acknowledging else department,
            acknowledged_by=(await transitions.acknowledged_by(session, [alert.alert_id]))[alert.alert_id]
            if acknowledging
            else None,
        )
    except transitions.TransitionRefused as exc:
        raise Conflict(str(exc)) from exc
    except transitions.NotTheDecider as exc:
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
        ACKNOWLEDGED: lambda: AlertAcknowledged(**actor),
        COMMENTED: lambda: AlertCommented(**actor),
        RESOLVED: lambda: AlertResolved(**actor, outcome=outcome),
    }[action]()
    envelope = record(session, event, time=now)
    await transitions.apply_transition(
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
