"""The overview: city-wide counts (registrations, contracts, alerts by dimension) and daily trends from
the pre-aggregated counters, the caller's own alert figures; and a worker's timeline across platforms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.errors import NotFound
from newform_common.policy import business_date

from .. import repository as counters
from ..alerts import repository as alerts_repository
from ..alerts import routing
from .schemas import TimelineEntry


async def overview(session: AsyncSession, principal: Principal, *, days: int = 30) -> dict[str, Any]:
    now = datetime.now(UTC)
    # City-wide figures from the pre-aggregated counters (`read_counters`, ../repository.py), not scans of the history.
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
    alerts_repository.visible(principal)  # a department token without its department: refused here
    # The alert figures from counters too (migration 0005): the city's, or the department's own view
    # (`department:<key>`, the alerts routed to it); only the overdue count depends on the hour.
    own = None if principal.is_oversight() else routing.department_key(principal)
    scope = "" if own is None else f"department:{own}"
    open_by_department = await counters.counted(session, "open_alerts_by_department")
    alerts = {
        "by_measure": await counters.counted(session, "alerts_by_measure", scope),
        "by_status": await counters.counted(session, "alerts_by_status", scope),
        "by_department": open_by_department
        if own is None
        else {d: n for d, n in open_by_department.items() if d == own},
        "overdue": await alerts_repository.overdue_count(session, principal, now),
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


async def worker_timeline(session: AsyncSession, worker_id: str) -> dict[str, Any]:
    rows = await counters.events_about_worker(session, worker_id)
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
