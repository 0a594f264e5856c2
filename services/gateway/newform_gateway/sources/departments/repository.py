"""The departments slice's queries: writing a batch of facts, reading one, and the summary's figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, Row, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from newform_common import bulk

from ..contracts.models import WorkerRegistration
from .models import DepartmentFact, DepartmentRestStation, DepartmentStationReport


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


async def stations_by_district(session: AsyncSession) -> dict[str, int]:
    s = DepartmentRestStation
    rows = await session.execute(select(s.district, func.count()).group_by(s.district))
    return {str(d): int(n) for d, n in rows.all()}


async def registered_workers_by_district(session: AsyncSession) -> dict[str | None, int]:
    """Each registered worker once, in the residence district of their latest active registration (the
    definition union coverage uses, sources/unions/repository.py)."""
    workers = (
        select(WorkerRegistration.worker_id, WorkerRegistration.residence_district.label("district"))  # type: ignore[union-attr]
        .where(col(WorkerRegistration.active).is_(True))
        .ext(distinct_on(WorkerRegistration.worker_id))
        .order_by(
            WorkerRegistration.worker_id,
            col(WorkerRegistration.registered_at).desc().nulls_last(),
            col(WorkerRegistration.registration_id).desc(),
        )
        .subquery("workers")
    )
    rows = await session.execute(select(workers.c.district, func.count()).group_by(workers.c.district))
    return {d: int(n) for d, n in rows.all()}


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
