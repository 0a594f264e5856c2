"""The wages slice's queries: writing a batch of wages' events set-based, and the figures the API, the
page and the scorecards read (from the wages read models and from the alerts wages' findings became)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk
from newform_common.db import driver_connection

from .models import QuotaResult, RelatedUnitView, WageStatement, WageTotal, WorkSessionView

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
    # a judged line keeps the row's batch and first report time; the rest is the line as judged (its due
    # date the agreed pay day): wages' totals delta adds exactly this line (wage_totals)
    await bulk.upsert(
        session,
        WageStatement,
        judged,
        key=["statement_id"],
        update=[*_JUDGED_COLUMNS],
    )
    await bulk.upsert(session, WorkSessionView, sessions, key=["session_id"])
    await bulk.upsert(session, QuotaResult, quotas, key=["platform_id", "post", "work_date"])
    await bulk.upsert(session, RelatedUnitView, units, key=["platform_id", "enterprise_id"])


_STATEMENT_COLUMNS = tuple(WageStatement.__table__.columns.keys())
_JUDGED_COLUMNS = tuple(c for c in _STATEMENT_COLUMNS if c not in ("statement_id", "batch_id", "reported_at"))

#: wage_totals' counters, in the order `add_totals` takes them after the key.
TOTALS = tuple(
    c for c in WageTotal.__table__.columns.keys() if c not in ("platform_id", "month", "district", "occupation")
)

_ADD_TOTALS = (
    "insert into wage_totals as t (platform_id, month, district, occupation, {columns}) "
    "select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], {arrays}) "
    "on conflict (platform_id, month, district, occupation) do update set {sums} "
    "returning platform_id, month, district, occupation, statements"
).format(
    columns=", ".join(TOTALS),
    arrays=", ".join(f"${i}::bigint[]" for i in range(5, 5 + len(TOTALS))),
    sums=", ".join(f"{c} = t.{c} + excluded.{c}" for c in TOTALS),
)


async def add_totals(session: AsyncSession, groups: list[tuple[Any, ...]]) -> None:
    """Add a batch's deltas to wage_totals, one statement (rows: key, then TOTALS' values); a group left
    without statements (its pending lines all judged) is removed, so the table holds exactly the groups
    that have statements, however the events were batched (a rebuild compares it)."""
    if not groups:
        return
    conn = await driver_connection(session)
    ordered = sorted(groups)  # rows locked in one order: two batches never wait on each other in a circle
    rows = await conn.fetch(_ADD_TOTALS, *(list(column) for column in zip(*ordered, strict=True)))
    empty = [r for r in rows if r["statements"] == 0]
    if empty:
        await conn.execute(
            "delete from wage_totals where (platform_id, month, district, occupation) in "
            "(select * from unnest($1::text[], $2::text[], $3::text[], $4::text[])) and statements = 0",
            *(list(column) for column in zip(*((r[0], r[1], r[2], r[3]) for r in empty), strict=True)),
        )


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
    amounts due and paid — the totals' groups summed over district and occupation (wage_totals)."""
    rows = await session.execute(
        text(
            "select platform_id, month, sum(statements)::bigint as statements, sum(judged)::bigint as judged, "
            "sum(pending)::bigint as pending, sum(minimum_wage_met)::bigint as minimum_wage_met, "
            "sum(paid_on_time)::bigint as paid_on_time, sum(with_breaches)::bigint as with_breaches, "
            "sum(net_due_fen)::bigint as net_due_fen, sum(paid_fen)::bigint as paid_fen "
            "from wage_totals where (cast(:p as text) is null or platform_id = :p) "
            "and (cast(:m as text) is null or month = :m) group by 1, 2 having sum(statements) > 0 "
            "order by 2 desc, 1"
        ),
        {"p": platform_id, "m": month},
    )
    return [dict(r) for r in rows.mappings()]


#: read_counters' scope of wages' figures from the alerts (migration gw_wages_0003_alert_figures keeps them)
FIGURES_SCOPE = "wages"


async def _figures(session: AsyncSession, *dimensions: str) -> dict[str, dict[str, int]]:
    """{dimension: {key: n}} of wages' alert figures (read_counters; zero rows left out, as a group-by would)."""
    rows = await session.execute(
        text(
            "select dimension, key, n from read_counters where scope = :s and dimension = any(:d) and n <> 0 "
            "order by dimension, key"
        ),
        {"s": FIGURES_SCOPE, "d": list(dimensions)},
    )
    figures: dict[str, dict[str, int]] = {d: {} for d in dimensions}
    for dimension, key, n in rows:
        figures[dimension][key] = int(n)
    return figures


async def arrears_by_group(session: AsyncSession) -> list[dict[str, Any]]:
    """Arrears alerts (from wages' M6.wage_arrears findings) by district and occupation: cases, amount (the
    latest finding's), distinct workers — largest amount first."""
    f = await _figures(session, "arrears_cases", "arrears_fen", "arrears_workers")
    groups = []
    for key, cases in f["arrears_cases"].items():
        district, _, occupation = key.partition("|")
        groups.append(
            {
                "district": district or None,
                "occupation": occupation or None,
                "cases": cases,
                "amount_fen": f["arrears_fen"].get(key, 0),
                "workers": f["arrears_workers"].get(key, 0),
            }
        )
    # as the aggregate ordered them: amount desc, then district and occupation (unknown last)
    return sorted(
        groups,
        key=lambda g: (
            -g["amount_fen"],
            g["district"] is None,
            g["district"] or "",
            g["occupation"] is None,
            g["occupation"] or "",
        ),
    )


async def arrears_by_month(session: AsyncSession) -> list[dict[str, Any]]:
    """Arrears alerts per month (Asia/Shanghai) of their first finding: cases and amount."""
    f = await _figures(session, "arrears_cases_by_month", "arrears_fen_by_month")
    return [
        {"month": month, "cases": cases, "amount_fen": f["arrears_fen_by_month"].get(month, 0)}
        for month, cases in sorted(f["arrears_cases_by_month"].items())
    ]


async def working_time_breaches(session: AsyncSession) -> dict[str, int]:
    """wages' M7 alerts by rule."""
    return (await _figures(session, "working_time_breaches"))["working_time_breaches"]


async def workers_over_limits(session: AsyncSession) -> int:
    """Distinct workers with an alert over the hours limits (daily, monthly overtime, part-time)."""
    return (await _figures(session, "workers_over_limits"))["workers_over_limits"].get("", 0)


async def quota_days(session: AsyncSession) -> tuple[int, int]:
    """(quota days judged, of which met)."""
    quotas = await session.execute(text("select count(*), count(*) filter (where met) from wage_quota_results"))
    days, met = quotas.one()
    return days, met


async def pay_numbers_of(session: AsyncSession, platform_ids: list[str]) -> dict[str, tuple[int, int]]:
    """{platform: (judged statements, of which compliant: minimum wage met, paid on time, no breach)} for the
    scorecards, every platform asked in one statement; (0, 0) for a platform without statements."""
    rows = await session.execute(
        text(
            "select platform_id, sum(judged)::bigint, sum(compliant)::bigint from wage_totals "
            "where platform_id = any(:p) group by 1"
        ),
        {"p": platform_ids},
    )
    found = {platform_id: (int(judged), int(compliant)) for platform_id, judged, compliant in rows}
    return {p: found.get(p, (0, 0)) for p in platform_ids}
