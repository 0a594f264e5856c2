"""Read side: what the API and the dashboard show, scoped to the caller."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from newform_common.auth import Principal
from newform_common.errors import Forbidden, NotFound
from newform_common.pagination import PageParams, page_of
from newform_common.policy import business_date

from . import counters, disputes_views, routing, scorecards, training, wages_views
from .alerts import RESOLVED
from .models import (
    Alert,
    AlertRoute,
    AlertTransition,
    CreditRecord,
    Enterprise,
    EventLog,
    RuleNotice,
)
from .schemas import AlertDetail, AlertPublic, PlatformDetail, PlatformSummary, TimelineEntry, TransitionPublic


def visible(principal: Principal) -> ColumnElement[bool]:
    """Alerts the caller may see: all for regulator/admin, those routed to it for a department."""
    if principal.is_oversight():
        return true()
    key = routing.department_key(principal)
    if key is None:
        raise Forbidden(
            "A department token needs a department scope (a district government: department=county with a district)"
        )
    return Alert.alert_id.in_(select(AlertRoute.alert_id).where(AlertRoute.department == key))


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
):
    now = datetime.now(UTC)
    q = select(Alert).where(visible(principal))
    if status:
        q = q.where(Alert.status == status)
    if measure:
        q = q.where(Alert.measure == measure)
    if platform_id:
        q = q.where(Alert.platform_id == platform_id)
    if department:
        q = q.where(Alert.alert_id.in_(select(AlertRoute.alert_id).where(AlertRoute.department == department)))
    if overdue is not None:
        cond = and_(Alert.status != RESOLVED, Alert.due_at < now)
        q = q.where(cond if overdue else ~cond)
    if params.after:
        q = q.where(
            func.row(Alert.raised_at, Alert.alert_id)
            < func.row(datetime.fromisoformat(params.after[0]), params.after[1])
        )
    q = q.order_by(Alert.raised_at.desc(), Alert.alert_id.desc()).limit(params.limit + 1)
    items = [alert_public(a, now) for a in (await session.execute(q)).scalars()]
    return page_of(items, params, lambda a: [a.raised_at.isoformat(), a.alert_id])


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


async def alert_detail(session: AsyncSession, alert: Alert) -> AlertDetail:
    transitions = (
        (
            await session.execute(
                select(AlertTransition).where(AlertTransition.alert_id == alert.alert_id).order_by(AlertTransition.at)
            )
        )
        .scalars()
        .all()
    )
    public = alert_public(alert)
    return AlertDetail(
        **public.model_dump(),
        evidence=alert.evidence,
        transitions=[TransitionPublic.model_validate(t) for t in transitions],
    )


async def _counts(session: AsyncSession, q) -> dict[str, int]:
    return {str(k): int(v) for k, v in (await session.execute(q)).all() if k is not None}


async def overview(session: AsyncSession, principal: Principal, *, days: int = 30) -> dict[str, Any]:
    now = datetime.now(UTC)
    # City-wide figures from the pre-aggregated counters (counters.py), not scans of the history.
    registrations = {
        "total": await counters.count(session, "registrations_active"),
        "by_district": await counters.counted(session, "registrations_by_district"),
        "by_occupation": await counters.counted(session, "registrations_by_occupation"),
    }
    contracts = {
        "by_engagement_type": await counters.counted(session, "contracts_by_engagement_type"),
        "by_status": await counters.counted(session, "contracts_by_status"),
        "by_district": await counters.counted(session, "contracts_by_district"),
    }
    vis = visible(principal)
    by_department_q = (
        select(AlertRoute.department, func.count())
        .join(Alert, Alert.alert_id == AlertRoute.alert_id)
        .where(vis, Alert.status != RESOLVED)
        .group_by(AlertRoute.department)
    )
    if not principal.is_oversight():
        by_department_q = by_department_q.where(AlertRoute.department == routing.department_key(principal))
    oversight = principal.is_oversight()
    alerts = {
        "by_measure": await counters.counted(session, "alerts_by_measure")
        if oversight
        else await _counts(session, select(Alert.measure, func.count()).where(vis).group_by(Alert.measure)),
        "by_status": await counters.counted(session, "alerts_by_status")
        if oversight
        else await _counts(session, select(Alert.status, func.count()).where(vis).group_by(Alert.status)),
        "by_department": await _counts(session, by_department_q),
        "overdue": (
            await session.execute(
                select(func.count()).select_from(Alert).where(vis, Alert.status != RESOLVED, Alert.due_at < now)
            )
        ).scalar_one(),
    }
    return {
        "as_of": now,
        "registrations": registrations,
        "contracts": contracts,
        "alerts": alerts,
        "trends": await trends(session, days=days, now=now),
    }


async def trends(session: AsyncSession, *, days: int, now: datetime) -> list[dict[str, Any]]:
    """Daily counts (Asia/Shanghai business dates) of registrations, contracts drafted and findings."""
    first_day = (business_date(now) - timedelta(days=days - 1)).isoformat()
    daily = {}
    for dimension in ("day_registrations", "day_contracts", "day_findings"):
        daily[dimension] = {
            day: n for day, n in (await counters.counted(session, dimension)).items() if day >= first_day
        }
    counted = {
        date.fromisoformat(day): (
            daily["day_registrations"].get(day, 0),
            daily["day_contracts"].get(day, 0),
            daily["day_findings"].get(day, 0),
        )
        for day in set().union(*daily.values())
    }
    today = business_date(now)
    out = []
    for i in range(days - 1, -1, -1):  # every day of the window, zeros included, oldest first
        day = today - timedelta(days=i)
        r, c, f = counted.get(day, (0, 0, 0))
        out.append({"date": day.isoformat(), "registrations": r, "contracts": c, "findings": f})
    return out


async def services_seen(session: AsyncSession) -> set[str]:
    return await counters.keys(session, "services")


async def platform_ids(session: AsyncSession) -> list[str]:
    ids = set((await session.execute(select(Enterprise.platform_id).distinct())).scalars())
    ids |= await counters.keys(session, "platforms")
    return sorted(ids)


async def platform_numbers(session: AsyncSession, platform_id: str, seen: set[str]) -> scorecards.PlatformNumbers:
    n = scorecards.PlatformNumbers(platform_id=platform_id, services_seen=seen)
    n.active_registrations = await counters.count(session, "registrations_active", platform_id)
    n.signed_active_contracts = await counters.count(session, "contracts_by_status", platform_id, "signed")
    n.workers_with_signed_contract = await counters.count(session, "workers_with_signed_contract", platform_id)
    n.insured_signed_contracts = await counters.count(session, "contracts_signed_insured", platform_id)
    n.wage_statements_judged, n.wage_statements_compliant = await wages_views.platform_pay_numbers(session, platform_id)
    n.open_alerts = [
        tuple(r)
        for r in (
            await session.execute(
                select(Alert.alert_id, Alert.measure, Alert.severity).where(
                    Alert.platform_id == platform_id, Alert.status != RESOLVED
                )
            )
        ).all()
    ]
    n.rule_notices = (
        await session.execute(select(func.count()).where(RuleNotice.platform_id == platform_id))
    ).scalar_one()
    n.consulted_notices = (
        await session.execute(
            select(func.count()).where(RuleNotice.platform_id == platform_id, RuleNotice.consulted.is_(True))
        )
    ).scalar_one()
    if "disputes" in seen:
        n.complaints_settled, n.complaints_answered_on_time = await disputes_views.complaint_numbers(
            session, platform_id
        )
    return n


async def platform_summary(session: AsyncSession, platform_id: str, seen: set[str]) -> PlatformSummary:
    n = await platform_numbers(session, platform_id, seen)
    name = (await session.execute(select(Enterprise.name).where(Enterprise.enterprise_id == platform_id))).scalar()
    return PlatformSummary(
        platform_id=platform_id,
        name=name,
        active_registrations=n.active_registrations,
        contract_coverage=scorecards.contract_coverage(n),
        insurance_coverage=scorecards.insurance_coverage(n),
        open_findings=len(n.open_alerts),
    )


async def list_platforms(session: AsyncSession) -> list[PlatformSummary]:
    seen = await services_seen(session)
    return [await platform_summary(session, p, seen) for p in await platform_ids(session)]


async def platform_detail(session: AsyncSession, platform_id: str) -> PlatformDetail:
    if platform_id not in await platform_ids(session):
        raise NotFound(f"No platform {platform_id}")
    seen = await services_seen(session)
    n = await platform_numbers(session, platform_id, seen)
    summary = await platform_summary(session, platform_id, seen)
    enterprises = (
        (
            await session.execute(
                select(Enterprise).where(Enterprise.platform_id == platform_id).order_by(Enterprise.enterprise_id)
            )
        )
        .scalars()
        .all()
    )
    return PlatformDetail(
        **summary.model_dump(),
        registrations_by_occupation=await counters.counted(session, "registrations_by_occupation", platform_id),
        registrations_by_district=await counters.counted(session, "registrations_by_district", platform_id),
        contracts_by_engagement_type=await counters.counted(session, "contracts_by_engagement_type", platform_id),
        contracts_by_status=await counters.counted(session, "contracts_by_status", platform_id),
        cooperating_enterprises=[
            {
                "enterprise_id": e.enterprise_id,
                "name": e.name,
                "kind": e.kind,
                "district": e.district,
                "qualified": e.qualified,
                "dispatch_licence_valid_until": e.dispatch_licence_valid_until,
            }
            for e in enterprises
            if e.enterprise_id != platform_id
        ],
        workers_trained=await training.workers_trained(session, platform_id),
        scorecard=scorecards.scorecard(n),
    )


async def worker_timeline(session: AsyncSession, worker_id: str) -> dict[str, Any]:
    rows = (
        (
            await session.execute(
                select(EventLog).where(EventLog.worker_id == worker_id).order_by(EventLog.time, EventLog.seq)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        raise NotFound(f"No events about worker {worker_id}")
    platforms = sorted({r.platform_id for r in rows if r.platform_id})
    return {
        "worker_id": worker_id,
        "platforms": platforms,
        "events": [
            TimelineEntry(event_id=r.event_id, type=r.type, time=r.time, platform_id=r.platform_id, data=r.data)
            for r in rows
        ],
    }


async def list_credit_records(session: AsyncSession, params: PageParams, *, platform_id: str | None = None):
    q = select(CreditRecord)
    if platform_id:
        q = q.where(CreditRecord.platform_id == platform_id)
    if params.after:
        q = q.where(
            func.row(CreditRecord.confirmed_at, CreditRecord.record_id)
            > func.row(datetime.fromisoformat(params.after[0]), params.after[1])
        )
    q = q.order_by(CreditRecord.confirmed_at, CreditRecord.record_id).limit(params.limit + 1)
    from .schemas import CreditRecordPublic

    items = [CreditRecordPublic.model_validate(r) for r in (await session.execute(q)).scalars()]
    return page_of(items, params, lambda r: [r.confirmed_at.isoformat(), r.record_id])


async def count_overdue_by_measure(session: AsyncSession) -> dict[str, int]:
    return await _counts(
        session,
        select(Alert.measure, func.count())
        .where(Alert.status != RESOLVED, Alert.due_at < datetime.now(UTC))
        .group_by(Alert.measure),
    )


def group(items, key) -> dict[Any, list]:
    out: dict[Any, list] = defaultdict(list)
    for item in items:
        out[key(item)].append(item)
    return out
