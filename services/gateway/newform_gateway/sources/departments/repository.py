"""The departments slice's queries: writing a batch of facts, reading one, and the summary's figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, Row, cast, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from newform_common import bulk

from ...alerts.models import Alert
from ..contracts.models import WeatherResponse
from ..unions import repository as unions_repository
from .models import DepartmentFact, DepartmentRestStation, DepartmentStationReport, DepartmentWeatherWarning


async def write_facts(session: AsyncSession, facts: list[dict[str, Any]]) -> None:
    await bulk.upsert(session, DepartmentFact, facts, key=["fact_id"])


async def get_fact(session: AsyncSession, fact_id: str) -> DepartmentFact | None:
    return await session.get(DepartmentFact, fact_id)


async def facts_by_source(session: AsyncSession) -> list[Row]:
    """(department, kind, facts, last observed) per department and kind."""
    f = DepartmentFact
    return list(
        await session.execute(
            select(f.department, f.kind, func.count(), func.max(f.observed_at))
            .group_by(f.department, f.kind)
            .order_by(f.department, f.kind)
        )
    )


async def not_enrolled_by_type(session: AsyncSession) -> list[Row]:
    f = DepartmentFact
    # Grouped expressions as literal SQL: bound JSON keys would be distinct parameters to PostgreSQL.
    insurance_type = literal_column("fields ->> 'insurance_type'")
    return list(
        await session.execute(
            select(insurance_type, func.count())
            .where(f.kind == "insurance_enrolment", f.fields["status"].astext == "not_enrolled")
            .group_by(insurance_type)
            .order_by(insurance_type)
        )
    )


async def licences_invalid(session: AsyncSession, today: date) -> list[DepartmentFact]:
    """Dispatch licences whose validity ended before `today`, latest first (at most 50)."""
    f = DepartmentFact
    until = cast(f.fields["effective_until"].astext, Date)
    return list(
        (
            await session.execute(
                select(f).where(f.kind == "dispatch_licence", until < today).order_by(until.desc()).limit(50)
            )
        )
        .scalars()
        .all()
    )


async def enterprises_unqualified(session: AsyncSession) -> int | None:
    f = DepartmentFact
    return await session.scalar(
        select(func.count()).where(
            f.kind == "enterprise_record",
            (f.fields["qualified"].astext == "false")
            | f.fields["registration_status"].astext.in_(("revoked", "cancelled", "suspended")),
        )
    )


async def arrears_confirmed_fen(session: AsyncSession) -> int | None:
    f = DepartmentFact
    return await session.scalar(
        select(func.coalesce(func.sum(cast(f.fields["confirmed_amount_fen"].astext, Integer)), 0)).where(
            f.kind == "inspection_result", f.fields["matter"].astext == "arrears"
        )
    )


async def case_outcomes(session: AsyncSession) -> list[Row]:
    f = DepartmentFact
    outcome = literal_column("(fields ->> 'forum') || ':' || (fields ->> 'outcome')")
    return list(
        await session.execute(
            select(outcome, func.count()).where(f.kind == "case_outcome").group_by(outcome).order_by(outcome)
        )
    )


# -- rest stations (M14) ------------------------------------------------------------------------------------
async def write_stations(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await bulk.upsert(session, DepartmentRestStation, rows, key=["station_id"])


async def write_reports(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        keep = ("kind", "due_at", "handled_at")
        await bulk.upsert(session, DepartmentStationReport, rows, key=["report_id"], keep_when_null=keep)


async def write_warnings(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Each warning's statement, unless the one held is of a higher version (events of one warning share a key,
    but a rebuild or a redelivery may bring an older one after a newer)."""
    if not rows:
        return
    w = DepartmentWeatherWarning
    statement = insert(w).values(rows)
    columns = {c: statement.excluded[c] for c in rows[0] if c != "warning_id"}
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[w.warning_id], set_=columns, where=col(w.version) < statement.excluded.version
        )
    )


async def stations_by_district(session: AsyncSession) -> dict[str, int]:
    s = DepartmentRestStation
    rows = await session.execute(select(s.district, func.count()).group_by(s.district))
    return {str(d): int(n) for d, n in rows.all()}


async def registered_workers_by_district(session: AsyncSession) -> dict[str | None, int]:
    """Each registered worker once, in the residence district of their latest active registration: union
    coverage's count (one definition, kept by migration 0007's triggers; sources/unions/repository.py)."""
    return await unions_repository.registered_workers_by_district(session)


async def reports_by_district(session: AsyncSession, now: datetime, *, grouped: bool = True) -> list[Row]:
    """(district, reports, open, open past due, handled, handled late, median handling seconds) per district,
    or one row over all (district None) when not `grouped` (a median does not add up from the districts')."""
    r = DepartmentStationReport
    handled = col(r.handled_at).is_not(None)
    seconds = func.extract("epoch", r.handled_at - r.reported_at)
    query = select(
        r.district if grouped else literal_column("null"),
        func.count(),
        func.count().filter(~handled),
        func.count().filter(~handled, col(r.due_at) < now),
        func.count().filter(handled),
        func.count().filter(handled, col(r.handled_at) > col(r.due_at)),
        func.percentile_cont(0.5).within_group(seconds).filter(handled),
    )
    if grouped:
        query = query.group_by(r.district)
    return list(await session.execute(query))


async def weather_warnings(
    session: AsyncSession,
    *,
    district: str | None,
    level: str | None,
    hazard: str | None,
    window: tuple[datetime | None, datetime | None],
    limit: int,
) -> list[DepartmentWeatherWarning]:
    """Warnings (latest first) whose window meets [window[0], window[1]) — its end the earlier of `ends_at` and
    `cancelled_at`, open without either."""
    w = DepartmentWeatherWarning
    query = select(w)
    if district:
        query = query.where(w.district == district)
    if level:
        query = query.where(w.level == level)
    if hazard:
        query = query.where(w.hazard == hazard)
    starts, ends = window
    if ends is not None:
        query = query.where(col(w.starts_at) < ends)
    if starts is not None:
        end = func.coalesce(func.least(w.ends_at, w.cancelled_at), literal_column("'infinity'::timestamptz"))
        query = query.where(end > starts)
    query = query.order_by(col(w.starts_at).desc(), w.warning_id).limit(limit)
    return list((await session.execute(query)).scalars())


async def weather_responses(session: AsyncSession, warning_ids: list[str]) -> list[WeatherResponse]:
    r = WeatherResponse
    query = select(r).where(col(r.warning_id).in_(warning_ids)).order_by(r.warning_id, r.declared_at, r.response_id)
    return list((await session.execute(query)).scalars())


async def no_response_alerts(session: AsyncSession, warning_ids: list[str]) -> list[Alert]:
    """Contracts' response clock fired: `M8.weather_no_response` alerts, subject the warning."""
    a = Alert
    query = select(a).where(a.rule == "M8.weather_no_response", col(a.subject_id).in_(warning_ids))
    return list((await session.execute(query.order_by(a.subject_id, a.platform_id))).scalars())


# Each M8 finding (an alert's evidence entry) about a warning, counted by rule as the alerts are written
# (read_counters `warning:<id>` / `m8_findings`, migration 0005): its evidence names it as `warning_id`
# (contracts' response findings, wages' work during a red warning) or among `warnings` (wages' penalties).
_M8_FINDINGS = text(
    "select substr(scope, 9), key, n from read_counters "
    "where scope = any(:scopes) and dimension = 'm8_findings' and n <> 0"
)


async def m8_findings(session: AsyncSession, warning_ids: list[str]) -> dict[str, dict[str, int]]:
    """Warning id -> M8 rule -> findings about it."""
    out: dict[str, dict[str, int]] = {}
    scopes = [f"warning:{w}" for w in warning_ids]
    for warning_id, rule, n in await session.execute(_M8_FINDINGS, {"scopes": scopes}):
        out.setdefault(warning_id, {})[rule] = int(n)
    return out
