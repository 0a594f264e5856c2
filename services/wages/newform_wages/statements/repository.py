"""Queries of the statements and pay_reports tables, and reads of the kit's `Deadline` rows for the
arrears clocks' questions its API has no function for. Clocks are started and changed only through
`newform_common.deadlines`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Date, cast, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.db import driver_connection
from newform_common.deadlines import LIVE, PENDING, Deadline
from newform_common.findings import Finding
from newform_common.locks import lock_keys
from newform_common.pagination import PageParams
from newform_common.scope import get_visible, visibility

from ..engagements.models import Engagement
from ..repository import column_types, decoded, insert_rows
from .models import Statement, StatementStatus

STATEMENT_COLUMNS = column_types(Statement)
_JSON = ("deductions", "premium_days", "pending_schedule", "rules_broken")


def _row(row: Any) -> dict[str, Any]:
    return decoded(row, *_JSON)


async def insert_statements(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[str]:
    """An upload's statements (COPY, or unnest when some exist); returns the line ids inserted."""
    return await insert_rows(
        session, "statements", STATEMENT_COLUMNS, rows, conflict="(platform_id, line_id)", returning="line_id"
    )


async def statement(session: AsyncSession, statement_id: str) -> dict[str, Any] | None:
    """One statement, if stored."""
    row = (await session.execute(select(Statement.__table__).where(Statement.id == statement_id))).mappings().first()
    return _row(row) if row is not None else None


async def statement_by_line(session: AsyncSession, platform_id: str, line_id: str) -> dict[str, Any]:
    """The statement a platform stored under a line id (it must exist)."""
    query = select(Statement.__table__).where(Statement.platform_id == platform_id, Statement.line_id == line_id)
    return _row((await session.execute(query)).mappings().one())


async def visible_statement(
    session: AsyncSession, principal: Principal, statement_id: str, *, for_update: bool = False
) -> dict[str, Any]:
    """A statement the caller may see (its platform, its worker, oversight), else 404."""
    found = await get_visible(session, principal, Statement, statement_id, what="statement", for_update=for_update)
    return _row(found.model_dump())


async def visible_statements(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    worker_id: str | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> list[dict[str, Any]]:
    """A page of the statements the caller may see, by id."""
    query = select(Statement.__table__).where(
        visibility(principal).where(platform=Statement.platform_id, worker=Statement.worker_id)
    )
    if worker_id is not None:
        query = query.where(Statement.worker_id == worker_id)
    if period_from is not None:
        query = query.where(Statement.period_end >= period_from)
    if period_to is not None:
        query = query.where(Statement.period_start <= period_to)
    if params.after:
        query = query.where(Statement.id > params.after[0])
    rows = await session.execute(query.order_by(Statement.id).limit(params.limit + 1))
    return [_row(r) for r in rows.mappings()]


async def statements_in_period(session: AsyncSession, contract_id: str, start: date, end: date) -> list[dict]:
    """An engagement's statements over any day of [start, end]."""
    query = select(Statement.__table__).where(
        Statement.contract_id == contract_id, Statement.period_start <= end, Statement.period_end >= start
    )
    return [_row(r) for r in (await session.execute(query)).mappings()]


async def worker_statements_in_period(
    session: AsyncSession, worker_id: str, platform_id: str, start: date, end: date
) -> list[dict[str, Any]]:
    """A worker's statements of one platform over any day of [start, end], by period."""
    query = (
        select(Statement.__table__)
        .where(
            Statement.worker_id == worker_id,
            Statement.platform_id == platform_id,
            Statement.period_start <= end,
            Statement.period_end >= start,
        )
        .order_by(Statement.period_start)
    )
    return [_row(r) for r in (await session.execute(query)).mappings()]


async def record_payment(
    session: AsyncSession, statement_id: str, paid_fen: int, paid_on: date, rules_broken: list[str]
) -> None:
    """A statement's total paid so far and its date; the rules its line names, kept when not yet kept (a
    statement stored before wages_0010)."""
    await session.execute(
        text(
            "update statements set paid_fen = :paid, paid_on = :on, "
            "rules_broken = coalesce(rules_broken, cast(:rules as jsonb)) where id = :id"
        ),
        {"paid": paid_fen, "on": paid_on, "rules": orjson.dumps(rules_broken).decode(), "id": statement_id},
    )


async def pending_statements(session: AsyncSession, contract_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Statements kept pending for these engagements, locked for judging."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "select * from statements where status = 'pending' and contract_id = any($1::text[]) for update",
        list(contract_ids),
    )
    return [_row(r) for r in rows]


async def mark_judged(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Pending statements judged: their status, due date (the agreed pay day), premium days pending and the
    rules their judgement found broken."""
    conn = await driver_connection(session)
    await conn.executemany(
        f"update statements set status = '{StatementStatus.judged}', due_date = $2, pending_schedule = $3::jsonb, "
        "rules_broken = $4::jsonb where id = $1",
        [
            (
                r["id"],
                r["due_date"],
                orjson.dumps(r["pending_schedule"]).decode(),
                orjson.dumps(r["rules_broken"]).decode(),
            )
            for r in rows
        ],
    )


async def due_on_last_day(session: AsyncSession, contract_id: str, last: date) -> list[dict[str, Any]]:
    """An ended engagement's statements due later than its last day become due that day; returns them as they
    were before (their lines as published name the due date they had)."""
    conn = await driver_connection(session)
    moved = await conn.fetch(
        "with moved as (select * from statements where contract_id = $1 and due_date > $2 for update) "
        "update statements s set due_date = $2 from moved where s.id = moved.id returning moved.*",
        contract_id,
        last,
    )
    return [_row(r) for r in moved]


async def statements_waiting_for_schedule(session: AsyncSession, year: int) -> list[dict[str, Any]]:
    """Judged statements with a premium day in `year` pending its holiday schedule, locked, by id."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "select * from statements where pending_schedule <> '[]'::jsonb and status = 'judged' and exists "
        "(select 1 from jsonb_array_elements_text(pending_schedule) as d where d like $1) order by id for update",
        f"{year:04d}-%",
    )
    return [_row(r) for r in rows]


async def set_pending_schedule(session: AsyncSession, statement_id: str, days: list[str]) -> None:
    """The premium days of a statement still waiting for their year's schedule."""
    conn = await driver_connection(session)
    await conn.execute(
        "update statements set pending_schedule = $2::jsonb where id = $1", statement_id, orjson.dumps(days).decode()
    )


async def late_shares(
    session: AsyncSession, platform_id: str, first: date, last: date, today: date
) -> dict[date, tuple[int, int]]:
    """Per month of period end: (statements paid late or short after their due date, judged statements)."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "select date_trunc('month', period_end)::date as month, count(*) as total, count(*) filter (where "
        "(paid_on > due_date) or (due_date < $4 and paid_fen < greatest(gross_fen - deductions_fen, 0))) as late "
        "from statements where platform_id = $1 and status = 'judged' and period_end >= $2 and period_end < $3 "
        "group by 1",
        platform_id,
        first,
        last,
        today,
    )
    return {r["month"]: (r["late"], r["total"]) for r in rows}


async def low_hourly_pay_warnings(session: AsyncSession, platform_id: str) -> int:
    """How many low-hourly-pay early warnings a platform has had."""
    query = select(func.count()).where(
        Finding.platform_id == platform_id, Finding.rule == "M6.early_warning_low_hourly_pay"
    )
    return (await session.execute(query)).scalar_one()


async def period_clocks_without_statement(
    session: AsyncSession, platform_id: str, kind: str, due_by: datetime
) -> list[dict[str, Any]]:
    """The data of a platform's pending period clocks due by `due_by` whose period no statement covers yet,
    soonest first (at most 500). Reads the kit's `Deadline` model: the kit asks no question by data."""
    period_start = cast(Deadline.data["period_start"].astext, Date)
    period_end = cast(Deadline.data["period_end"].astext, Date)
    covered = exists().where(
        Statement.contract_id == Engagement.contract_id,
        Statement.period_start <= period_end,
        Statement.period_end >= period_start,
    )
    query = (
        select(Deadline.data)
        .join(Engagement, Engagement.contract_id == Deadline.data["contract_id"].astext)
        .where(
            Deadline.kind == kind,
            Deadline.status == PENDING,
            Deadline.due_at <= due_by,
            Engagement.platform_id == platform_id,
            ~covered,
        )
        .order_by(Deadline.due_at)
        .limit(500)
    )
    return [dict(data) for data in (await session.execute(query)).scalars()]


async def live_clocks_of_contract(session: AsyncSession, contract_id: str, kinds: Sequence[str]) -> list[Deadline]:
    """The live clocks of these kinds whose subject is one of the engagement's periods (`contract:start`).
    Reads the kit's `Deadline` model: the kit asks no question by subject prefix."""
    query = select(Deadline).where(
        Deadline.kind.in_(list(kinds)), Deadline.status.in_(LIVE), Deadline.subject_id.like(f"{contract_id}:%")
    )
    return list((await session.execute(query)).scalars())


async def live_clocks(
    session: AsyncSession, kind: str, subject_ids: Sequence[str], *, for_update: bool = False
) -> list[Deadline]:
    """The live clocks of one kind among these subjects (`for_update`: a clock the deadline worker is
    firing is waited for, and then no longer live). Reads the kit's `Deadline` model: the kit looks up one
    subject at a time."""
    if not subject_ids:
        return []
    query = select(Deadline).where(
        Deadline.kind == kind, Deadline.status.in_(LIVE), Deadline.subject_id.in_(list(subject_ids))
    )
    if for_update:
        query = query.with_for_update()
    return list((await session.execute(query)).scalars())


async def lock_minimum_months(session: AsyncSession, subjects: Iterable[str]) -> None:
    """Serialise "does this pay month have its clock?" with starting it, per engagement month, until commit
    (two uploads of one month side by side would each start one)."""
    await lock_keys(session, "wages-minimum-month", subjects)


async def record_pay_report(session: AsyncSession, report: dict[str, Any]) -> None:
    """Store a worker's reconciled report (its differences as JSON)."""
    await session.execute(
        text(
            "insert into pay_reports (id, worker_id, platform_id, period_start, period_end, "
            "expected_fen, received_fen, "
            "received_on, note, outcome, differences, finding_id, reported_at) values (:id, :w, :p, "
            ":ps, :pe, :ef, :rf, "
            ":ro, :note, :outcome, cast(:diff as jsonb), :fid, :now)"
        ),
        {
            "id": report["id"],
            "w": report["worker_id"],
            "p": report["platform_id"],
            "ps": report["period_start"],
            "pe": report["period_end"],
            "ef": report["expected_fen"],
            "rf": report["received_fen"],
            "ro": report["received_on"],
            "note": report["note"],
            "outcome": report["outcome"],
            "diff": orjson.dumps(report["differences"]).decode(),
            "fid": report["finding_id"],
            "now": report["reported_at"],
        },
    )


async def arrears_raised(session: AsyncSession, contract_id: str, start: date, end: date) -> str | None:
    """The arrears finding already raised for a debt of this engagement overlapping [start, end], if any
    (one debt is one case, whichever clock noticed it). Callers hold `lock_arrears` for the contract."""
    conn = await driver_connection(session)
    return await conn.fetchval(
        "select id from findings where rule = 'M6.wage_arrears' and evidence ->> 'contract_id' = $1 "
        "and (evidence ->> 'period_start')::date <= $3 and (evidence ->> 'period_end')::date >= $2 limit 1",
        contract_id,
        start,
        end,
    )


async def lock_arrears(session: AsyncSession, contract_ids: Iterable[str]) -> None:
    """Serialise "is this debt's case open?" with opening it, per engagement, until commit."""
    await lock_keys(session, "wages-arrears", sorted(set(contract_ids)))


async def lock_platform_months(session: AsyncSession, platform_id: str, months: Iterable[date]) -> None:
    """Serialise the late-share warning of a platform's months (see service.warn_late_share)."""
    await lock_keys(session, "wages-late-share", [f"{platform_id}:{m:%Y-%m}" for m in months])
