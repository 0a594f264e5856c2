"""The wages slice's queries: writing a batch of wages' events set-based, and the figures the API, the
page and the scorecards read (from the wages read models and from the alerts wages' findings became)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk

from .models import QuotaResult, RelatedUnitView, WageStatement, WorkSessionView

ARREARS_RULE = "M6.wage_arrears"


# -- writes (the projection) ---------------------------------------------------------------------------
async def write_batch(
    session: AsyncSession,
    statements: list[dict[str, Any]],
    judged: list[dict[str, Any]],
    sessions: list[dict[str, Any]],
    quotas: list[dict[str, Any]],
    units: list[dict[str, Any]],
) -> None:
    """One statement per table: accepted lines, judged lines of statements stored earlier, work sessions,
    quota results, related units."""
    await _insert_or_upsert_statements(session, statements)
    # a judged line keeps the row's batch and first report time; only the judgement changes
    await bulk.upsert(
        session,
        WageStatement,
        judged,
        key=["statement_id"],
        update=["status", "occupation", "district", "enterprise_id", "minimum_wage_met", "rules_broken"],
    )
    await bulk.upsert(session, WorkSessionView, sessions, key=["session_id"])
    await bulk.upsert(session, QuotaResult, quotas, key=["platform_id", "post", "work_date"])
    await bulk.upsert(session, RelatedUnitView, units, key=["platform_id", "enterprise_id"])


_STATEMENT_COLUMNS = tuple(WageStatement.__table__.columns.keys())


async def _insert_or_upsert_statements(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Accepted lines are new rows but for a redelivered chunk: a COPY first, the upsert when a row
    exists already (bulk.copy_unless_stored)."""
    if not rows:
        return
    records = [
        tuple(orjson.dumps(row[c]).decode() if c == "rules_broken" else row[c] for c in _STATEMENT_COLUMNS)
        for row in rows
    ]
    if not await bulk.copy_unless_stored(session, WageStatement.__tablename__, _STATEMENT_COLUMNS, records):
        await bulk.upsert(session, WageStatement, rows, key=["statement_id"])


# -- reads ---------------------------------------------------------------------------------------------
async def pay_compliance(
    session: AsyncSession, platform_id: str | None = None, month: str | None = None
) -> list[dict[str, Any]]:
    """Per platform and month: statements, judged, pending, minimum wage met, paid on time, with breaches,
    amounts due and paid."""
    rows = await session.execute(
        text(
            "select platform_id, to_char(period_end, 'YYYY-MM') as month, count(*) as statements, "
            "count(*) filter (where status = 'judged') as judged, count(*) filter (where status = "
            "'pending') as pending, "
            "count(*) filter (where minimum_wage_met) as minimum_wage_met, "
            "count(*) filter (where status = 'judged' and paid_fen >= net_due_fen and paid_on <= due_date) "
            "as paid_on_time, count(*) filter (where jsonb_array_length(rules_broken) > 0) as with_breaches, "
            "coalesce(sum(net_due_fen), 0)::bigint as net_due_fen, coalesce(sum(paid_fen), 0)::bigint as paid_fen "
            "from wage_statements where (cast(:p as text) is null or platform_id = :p) "
            "and (cast(:m as text) is null or to_char(period_end, 'YYYY-MM') = :m) group by 1, 2 order by 2 desc, 1"
        ),
        {"p": platform_id, "m": month},
    )
    return [dict(r) for r in rows.mappings()]


_ARREARS_AMOUNT = "coalesce((a.evidence -> -1 -> 'evidence' ->> 'arrears_fen')::bigint, 0)"


async def arrears_by_group(session: AsyncSession) -> list[dict[str, Any]]:
    """Arrears alerts (from wages' M6.wage_arrears findings) by district and occupation."""
    groups = await session.execute(
        text(
            f"select a.district, a.occupation, count(*) as cases, coalesce(sum({_ARREARS_AMOUNT}), 0)::bigint "
            "as amount_fen, count(distinct a.worker_id) as workers from alerts a where a.rule = :rule "
            "and a.source_service = 'wages' group by 1, 2 order by 4 desc, 1, 2"
        ),
        {"rule": ARREARS_RULE},
    )
    return [dict(r) for r in groups.mappings()]


async def arrears_by_month(session: AsyncSession) -> list[dict[str, Any]]:
    """Arrears alerts per month (Asia/Shanghai) of their first finding: cases and amount."""
    trend = await session.execute(
        text(
            f"select to_char(a.first_observed_at at time zone 'Asia/Shanghai', 'YYYY-MM') as month, count(*) as cases, "
            f"coalesce(sum({_ARREARS_AMOUNT}), 0)::bigint as amount_fen from alerts a where a.rule = :rule "
            "and a.source_service = 'wages' group by 1 order by 1"
        ),
        {"rule": ARREARS_RULE},
    )
    return [dict(r) for r in trend.mappings()]


async def working_time_breaches(session: AsyncSession) -> dict[str, int]:
    """wages' M7 alerts by rule."""
    rules = await session.execute(
        text("select rule, count(*) from alerts where source_service = 'wages' and measure = 'M7' group by 1")
    )
    return {r: n for r, n in rules}


async def workers_over_limits(session: AsyncSession) -> int:
    workers = await session.execute(
        text(
            "select count(distinct worker_id) from alerts where source_service = 'wages' and measure = 'M7' "
            "and rule in ('M7.daily_hours', 'M7.monthly_overtime', 'M7.part_time_hours')"
        )
    )
    return workers.scalar_one()


async def quota_days(session: AsyncSession) -> tuple[int, int]:
    """(quota days judged, of which met)."""
    quotas = await session.execute(text("select count(*), count(*) filter (where met) from wage_quota_results"))
    days, met = quotas.one()
    return days, met


async def platform_pay_numbers(session: AsyncSession, platform_id: str) -> tuple[int, int]:
    """(judged statements, of which compliant: minimum wage met, paid on time, no breach) for scorecards."""
    row = (
        await session.execute(
            text(
                "select count(*) filter (where status = 'judged'), count(*) filter (where status = 'judged' "
                "and minimum_wage_met and paid_fen >= net_due_fen and paid_on <= due_date "
                "and jsonb_array_length(rules_broken) = 0) from wage_statements where platform_id = :p"
            ),
            {"p": platform_id},
        )
    ).one()
    return row[0], row[1]
