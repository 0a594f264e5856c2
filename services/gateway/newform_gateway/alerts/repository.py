"""The alerts' queries: the alert path's set-based reads and writes (asyncpg over arrays: a run of
findings costs one statement per table), visibility (`visible`, `get_visible_alert`), transitions, the
webhooks that hear of an alert, and the figures the overview and the metrics read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement
from sqlmodel import col

from newform_common import bulk
from newform_common.auth import Principal
from newform_common.db import driver_connection
from newform_common.errors import Forbidden, NotFound
from newform_common.pagination import PageParams

from ..webhooks.models import Webhook, WebhookDelivery
from . import routing
from .models import ACKNOWLEDGED, RESOLVED, Alert, AlertRoute, AlertTransition

ALERT_COLUMNS = tuple(c.name for c in Alert.__table__.columns)
_ALERT_JSON_COLUMNS = ("departments", "evidence")
#: What another finding of an open alert changes (the rest stays as the first finding made it).
_OCCURRENCE_COLUMNS = ("severity", "occurrences", "evidence", "last_observed_at")


# -- the alert path ----------------------------------------------------------------------------------------
async def lock_open_alerts(session: AsyncSession, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The unresolved alerts of these (rule, subject) pairs, locked, as rows (dicts of their columns)."""
    conn = await driver_connection(session)
    selected = ", ".join(f"{c}::text" if c in _ALERT_JSON_COLUMNS else c for c in ALERT_COLUMNS)
    open_rows = await conn.fetch(
        f"select {selected} from alerts where status <> '{RESOLVED}' and (rule, subject_id) in "
        "(select * from unnest($1::text[], $2::text[])) for update",
        [rule for rule, _ in keys],
        [subject for _, subject in keys],
    )
    open_alerts: dict[tuple[str, str], dict[str, Any]] = {}
    for record in open_rows:
        row = dict(zip(ALERT_COLUMNS, record, strict=True))
        for c in _ALERT_JSON_COLUMNS:
            row[c] = orjson.loads(row[c])
        open_alerts[(row["rule"], row["subject_id"])] = row
    return open_alerts


async def taken_alert_ids(session: AsyncSession, alert_ids: list[str]) -> set[str]:
    """Which of these alert ids exist already."""
    conn = await driver_connection(session)
    return {r[0] for r in await conn.fetch("select alert_id from alerts where alert_id = any($1::text[])", alert_ids)}


async def routing_enterprises(session: AsyncSession, enterprise_ids: list[str]) -> dict[str, tuple[str | None, list]]:
    """(district, occupations) of these enterprises, as contracts registered them."""
    if not enterprise_ids:
        return {}
    conn = await driver_connection(session)
    return {
        r[0]: (r[1], orjson.loads(r[2]) if r[2] else [])
        for r in await conn.fetch(
            "select enterprise_id, district, occupations::text from enterprises where enterprise_id = any($1::text[])",
            enterprise_ids,
        )
    }


async def active_hooks(session: AsyncSession) -> dict[tuple[str, str], list[int]]:
    """The active webhooks' ids by subscriber: ("department", code) or ("platform", id) — the same
    subscribers as `subscribed_hooks`, read once for a run of findings."""
    conn = await driver_connection(session)
    hooks: dict[tuple[str, str], list[int]] = {}
    for hook_id, department, platform_id in await conn.fetch(
        "select id, department, platform_id from webhooks where active order by id"
    ):
        if department:
            hooks.setdefault(("department", department), []).append(hook_id)
        if platform_id:
            hooks.setdefault(("platform", platform_id), []).append(hook_id)
    return hooks


async def write_alerts(
    session: AsyncSession,
    alerts: list[dict[str, Any]],
    routes: list[dict[str, Any]],
    deliveries: list[dict[str, Any]],
) -> None:
    """One statement per table: new alerts and new occurrences, the new alerts' routes, their deliveries."""
    await bulk.upsert(
        session,
        Alert,
        [{c: row[c] for c in ALERT_COLUMNS} for row in alerts],
        key=["alert_id"],
        update=_OCCURRENCE_COLUMNS,
    )
    await bulk.insert_new(session, AlertRoute, routes, key=["alert_id", "department"])
    await bulk.insert_new(session, WebhookDelivery, deliveries, key=["delivery_id"])


async def recorded_actions(session: AsyncSession, event_ids: list[str]) -> set[str]:
    """Which of these `gateway.alert.*.v1` events have their transition recorded already."""
    if not event_ids:
        return set()
    conn = await driver_connection(session)
    return {
        r[0]
        for r in await conn.fetch("select event_id from alert_transitions where event_id = any($1::text[])", event_ids)
    }


async def alert_keys(session: AsyncSession, alert_ids: list[str]) -> dict[str, tuple[str, str]]:
    """{alert id: (rule, subject id)} of these alerts (the key the alert path's rounds go by)."""
    if not alert_ids:
        return {}
    rows = await session.execute(
        select(Alert.alert_id, Alert.rule, Alert.subject_id).where(col(Alert.alert_id).in_(alert_ids))
    )
    return {alert_id: (rule, subject_id) for alert_id, rule, subject_id in rows}


async def lock_alerts_fresh(session: AsyncSession, alert_ids: list[str]) -> dict[str, Alert]:
    """These alerts, locked in id order and re-read (populate_existing: a batch's findings may have added
    occurrences with set-based SQL since this session last loaded them)."""
    if not alert_ids:
        return {}
    rows = await session.execute(
        select(Alert)
        .where(col(Alert.alert_id).in_(sorted(set(alert_ids))))
        .order_by(Alert.alert_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {alert.alert_id: alert for alert in rows.scalars()}


async def acknowledgers(session: AsyncSession, alert_ids: list[str]) -> dict[str, list[tuple[str | None, str]]]:
    """{alert id: (department, actor) of each acknowledgement of it} for these alerts."""
    found: dict[str, list[tuple[str | None, str]]] = {i: [] for i in alert_ids}
    if not alert_ids:
        return found
    rows = await session.execute(
        select(AlertTransition.alert_id, AlertTransition.actor_department, AlertTransition.actor).where(
            col(AlertTransition.alert_id).in_(alert_ids), AlertTransition.action == ACKNOWLEDGED
        )
    )
    for alert_id, department, actor in rows:
        found[alert_id].append((department, actor))
    return found


async def subscribed_hooks(session: AsyncSession, alert: Alert) -> list[Webhook]:
    """Active webhooks that hear of this alert: the departments it is routed to, and its platform —
    unless the alert is about a public body (`routing.alert_responsible`): the platform is then a
    party to the dispute, not the subject, and hears nothing of it."""
    who = Webhook.department.in_(alert.departments)
    if alert.platform_id and routing.alert_responsible(alert.evidence) is None:
        who = or_(who, Webhook.platform_id == alert.platform_id)
    return list((await session.execute(select(Webhook).where(Webhook.active.is_(True), who))).scalars())


# -- reading -------------------------------------------------------------------------------------------------
def visible(principal: Principal) -> ColumnElement[bool]:
    """Alerts the caller may see: all for regulator/admin, those routed to it for a department."""
    if principal.is_oversight():
        return true()
    key = routing.department_key(principal)
    if key is None:
        raise Forbidden(
            "A department token needs a department scope (a district government: department=county with a district)"
        )
    return routed_to(key)


def routed_to(department: str) -> ColumnElement[bool]:
    """Alerts routed to `department`: its key among the alert's `departments` (what `alert_routes` holds, one
    row per key), read through the GIN index `ix_alerts_departments` (migration 0005) — combined with the
    list's other filters and its order, where a join with the routes had to find every alert of the department."""
    departments: Any = Alert.departments  # a JSONB column: `contains` is `@>`
    return departments.contains([department])


async def alerts_page(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    now: datetime,
    status: str | None = None,
    measure: str | None = None,
    department: str | None = None,
    platform_id: str | None = None,
    overdue: bool | None = None,
    district: str | None = None,
    raised_between: tuple[datetime, datetime] | None = None,
) -> list[Alert]:
    """The caller's alerts, newest first, one page (and one more, to tell whether a next page exists).
    `raised_between`: [from, until) of `raised_at` (a month, as the service computes it)."""
    q = select(Alert).where(visible(principal))
    if status:
        q = q.where(Alert.status == status)
    if measure:
        q = q.where(Alert.measure == measure)
    if platform_id:
        q = q.where(Alert.platform_id == platform_id)
    if district:
        q = q.where(Alert.district == district)
    if raised_between:
        q = q.where(Alert.raised_at >= raised_between[0], Alert.raised_at < raised_between[1])
    if department:
        q = q.where(routed_to(department))
    if overdue is not None:
        cond = and_(Alert.status != RESOLVED, Alert.due_at < now)
        q = q.where(cond if overdue else ~cond)
    if params.after:
        q = q.where(
            func.row(Alert.raised_at, Alert.alert_id)
            < func.row(datetime.fromisoformat(params.after[0]), params.after[1])
        )
    q = q.order_by(Alert.raised_at.desc(), Alert.alert_id.desc()).limit(params.limit + 1)
    return list((await session.execute(q)).scalars())


async def get_visible_alert(
    session: AsyncSession, principal: Principal, alert_id: str, *, for_update: bool = False
) -> Alert:
    """The alert if the caller may see it; 404 otherwise (a department does not learn that another
    department's alert exists)."""
    q = select(Alert).where(Alert.alert_id == alert_id, visible(principal))
    if for_update:
        q = q.with_for_update()
    alert = (await session.execute(q)).scalar_one_or_none()
    if alert is None:
        raise NotFound(f"No alert {alert_id} routed to this token's department")
    return alert


async def transitions_of(session: AsyncSession, alert_id: str) -> list[AlertTransition]:
    return list(
        (
            await session.execute(
                select(AlertTransition).where(AlertTransition.alert_id == alert_id).order_by(AlertTransition.at)
            )
        )
        .scalars()
        .all()
    )


# -- figures -------------------------------------------------------------------------------------------------
async def _counts(session: AsyncSession, q) -> dict[str, int]:
    return {str(k): int(v) for k, v in (await session.execute(q)).all() if k is not None}


async def overdue_count(session: AsyncSession, principal: Principal, now: datetime) -> int:
    """Unresolved alerts the caller may see past their handling deadline."""
    q = select(func.count()).select_from(Alert).where(visible(principal), Alert.status != RESOLVED, Alert.due_at < now)
    return (await session.execute(q)).scalar_one()


async def open_alerts_of_platforms(
    session: AsyncSession, platform_ids: list[str]
) -> dict[str, list[tuple[str, str, str]]]:
    """{platform: [(alert id, measure, severity)]} of these platforms' unresolved alerts, in alert id order,
    one statement for all of them."""
    found: dict[str, list[tuple[str, str, str]]] = {p: [] for p in platform_ids}
    rows = await session.execute(
        select(Alert.platform_id, Alert.alert_id, Alert.measure, Alert.severity)
        .where(col(Alert.platform_id).in_(platform_ids), Alert.status != RESOLVED)
        .order_by(Alert.alert_id)
    )
    for platform_id, alert_id, measure, severity in rows:
        found[platform_id].append((alert_id, measure, severity))
    return found


async def count_overdue_by_measure(session: AsyncSession) -> dict[str, int]:
    return await _counts(
        session,
        select(Alert.measure, func.count())
        .where(Alert.status != RESOLVED, Alert.due_at < datetime.now(UTC))
        .group_by(Alert.measure),
    )
