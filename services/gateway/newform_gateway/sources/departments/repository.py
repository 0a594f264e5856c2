"""The departments slice's queries: writing a batch of facts, reading one, and the summary's figures."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, Row, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk

from .models import DepartmentFact


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
