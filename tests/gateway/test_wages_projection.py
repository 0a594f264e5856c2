"""The wages projection copies a statement line's fields as the row's columns: they must stay the same set."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy import text

from newform_common.db import Database
from newform_common.events import Envelope
from newform_common.migrations import upgrade
from newform_gateway.projections.base import Typed
from newform_gateway.sources.wages.models import WageStatement
from newform_gateway.sources.wages.projection import (
    TOTALS,
    StatementLine,
    StatementsAccepted,
    StatementTotalsChanged,
    _statement,
    apply,
)
from newform_gateway.sources.wages.repository import pay_compliance, pay_numbers_of

from ..kit.gateway import migrated_database


def test_a_statement_lines_fields_are_the_read_models_columns():
    columns = set(WageStatement.__table__.columns.keys())
    assert set(StatementLine.model_fields) | {"batch_id", "platform_id", "reported_at"} == columns


def test_a_line_becomes_its_row():
    line = StatementLine.model_validate(
        {
            "line_id": "l1",
            "statement_id": "st_1",
            "worker_id": "w_1",
            "contract_id": "ct_1",
            "period_start": "2024-03-01",
            "period_end": "2024-03-31",
            "due_date": "2024-04-10",
            "gross_fen": 300_000,
            "net_due_fen": 300_000,
            "paid_fen": 300_000,
            "paid_on": "2024-04-08",
            "worked_minutes": 10_080,
            "status": "judged",
            "rules_broken": ["M6.paid_late"],
            "added_later": 1,
        }
    )
    at = datetime(2024, 4, 9, tzinfo=UTC)
    row = _statement("p1", "bt_1", line, at)
    assert row["period_start"] == date(2024, 3, 1) and row["rules_broken"] == ["M6.paid_late"]
    assert (row["platform_id"], row["batch_id"], row["reported_at"], row["occupation"]) == ("p1", "bt_1", at, None)
    assert set(row) == set(WageStatement.__table__.columns.keys())


async def test_a_redelivered_chunk_updates_its_rows_and_a_new_one_is_copied_in(new_database):
    """New lines go in with COPY; a chunk seen again (some rows stored) falls back to the upsert."""

    def chunk(batch_id: str, ids: range, gross_fen: int) -> Typed:
        data = {
            "batch_id": batch_id,
            "platform_id": "p_chunk",
            "chunk": 0,
            "lines": [
                {
                    "line_id": f"l{i}",
                    "statement_id": f"st_{i}",
                    "worker_id": "w_1",
                    "contract_id": "ct_1",
                    "period_start": "2024-03-01",
                    "period_end": "2024-03-31",
                    "due_date": "2024-04-10",
                    "gross_fen": gross_fen,
                    "net_due_fen": gross_fen,
                    "paid_fen": 0,
                    "paid_on": None,
                    "worked_minutes": 60,
                    "status": "judged",
                    "rules_broken": ["M6.wage_arrears"],
                }
                for i in ids
            ],
        }
        envelope = Envelope(
            id=f"e_{batch_id}",
            source="/newform/wages",
            type="wages.statements.accepted.v1",
            time=datetime.now(UTC),
            key="p_chunk",
            data=data,
        )
        return Typed(envelope, StatementsAccepted.model_validate(data))

    db = Database(await migrated_database(new_database), service="gateway")
    try:
        async with db.transaction() as session:
            await apply(session, [chunk("bt_1", range(3), 100)], None)
        async with db.transaction() as session:
            await apply(session, [chunk("bt_1", range(2, 5), 200)], None)
        async with db.transaction() as session:
            rows = (
                await session.execute(
                    text("select statement_id, gross_fen, rules_broken from wage_statements order by statement_id")
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            ("st_0", 100, ["M6.wage_arrears"]),
            ("st_1", 100, ["M6.wage_arrears"]),
            *[(f"st_{i}", 200, ["M6.wage_arrears"]) for i in (2, 3, 4)],
        ]
    finally:
        await db.dispose()


def _totals(event_id: str, platform_id: str, groups: list[dict]) -> Typed:
    data = {"platform_id": platform_id, "cause": "accepted", "groups": groups}
    envelope = Envelope(
        id=event_id,
        source="/newform/wages",
        type="wages.statements.totals.v1",
        time=datetime.now(UTC),
        key=platform_id,
        data=data,
    )
    return Typed(envelope, StatementTotalsChanged.model_validate(data))


def _group(month: str, district: str | None, occupation: str | None, sign: int = 1, **counts: int) -> dict:
    group = {"month": month, "district": district, "occupation": occupation, **dict.fromkeys(TOTALS, 0)}
    group.update({"statements": 1, "net_due_fen": 300_000, "paid_fen": 300_000, "gross_fen": 300_000, **counts})
    return {k: v * sign if k in TOTALS else v for k, v in group.items()}


async def test_the_totals_add_up_and_a_judged_line_moves_out_of_the_pending_group(new_database):
    """Deltas are added per group; a group whose statements all moved (pending ones judged) is gone, so the
    table is the same whether the events came in one batch or several (a rebuild compares it)."""
    db = Database(await migrated_database(new_database), service="gateway")
    judged = {"judged": 1, "paid_on_time": 1, "compliant": 1, "minimum_wage_met": 1}
    accepted = _totals(
        "e1", "p_tot", [_group("2024-03", "chengdong", "courier", **judged), _group("2024-03", None, None, pending=1)]
    )
    moved = _totals(
        "e2", "p_tot", [_group("2024-03", None, None, -1, pending=1), _group("2024-03", "chengxi", "courier", **judged)]
    )
    try:
        async with db.transaction() as session:
            await apply(session, [accepted], None)
        async with db.transaction() as session:
            rows = await pay_compliance(session, "p_tot")
            assert [(r["statements"], r["judged"], r["pending"], r["paid_fen"]) for r in rows] == [(2, 1, 1, 600_000)]
        async with db.transaction() as session:
            await apply(session, [moved], None)
        async with db.transaction() as session:
            groups = (await session.execute(text("select district from wage_totals where platform_id = 'p_tot'"))).all()
            assert sorted(g[0] for g in groups) == ["chengdong", "chengxi"]
            rows = await pay_compliance(session, "p_tot", "2024-03")
            assert [(r["statements"], r["judged"], r["pending"], r["paid_on_time"]) for r in rows] == [(2, 2, 0, 2)]
            assert await pay_numbers_of(session, ["p_tot"]) == {"p_tot": (2, 2)}
    finally:
        await db.dispose()


async def test_the_migration_counts_the_lines_projected_before_the_totals(new_database):
    """gw_wages_0002 fills wage_totals from the lines already projected: the pages' figures do not change."""
    url = new_database("gateway")
    await asyncio.to_thread(upgrade, "newform_gateway", url, "gw_wages_0001")
    lines = [
        _line(0, status="judged", minimum_wage_met=True, district="chengdong", occupation="courier"),
        _line(
            1,
            status="judged",
            minimum_wage_met=False,
            district="chengdong",
            occupation="courier",
            rules_broken=["M6.minimum_wage"],
        ),
        _line(
            2, status="judged", minimum_wage_met=True, district="chengxi", occupation="courier", paid_on="2024-04-20"
        ),
        _line(3, status="pending", paid_fen=0, paid_on=None),
    ]
    data = {"batch_id": "bt_old", "platform_id": "p_old", "chunk": 0, "lines": lines}
    envelope = Envelope(
        id="e_old",
        source="/newform/wages",
        type="wages.statements.accepted.v1",
        time=datetime.now(UTC),
        key="p_old",
        data=data,
    )
    db = Database(url, service="gateway")
    try:
        async with db.transaction() as session:
            await apply(session, [Typed(envelope, StatementsAccepted.model_validate(data))], None)
        await db.dispose()
        await asyncio.to_thread(upgrade, "newform_gateway", url)
        db = Database(url, service="gateway")
        async with db.transaction() as session:
            rows = await pay_compliance(session, "p_old")
            assert await pay_numbers_of(session, ["p_old"]) == {"p_old": (3, 1)}
        assert [
            (
                r["statements"],
                r["judged"],
                r["pending"],
                r["minimum_wage_met"],
                r["paid_on_time"],
                r["with_breaches"],
                r["paid_fen"],
            )
            for r in rows
        ] == [(4, 3, 1, 2, 2, 1, 900_000)]
    finally:
        await db.dispose()


def _line(i: int, **kw) -> dict:
    line = {
        "line_id": f"l{i}",
        "statement_id": f"st_old_{i}",
        "worker_id": f"w_{i}",
        "contract_id": f"ct_{i}",
        "period_start": "2024-03-01",
        "period_end": "2024-03-31",
        "due_date": "2024-04-10",
        "gross_fen": 300_000,
        "net_due_fen": 300_000,
        "paid_fen": 300_000,
        "paid_on": "2024-04-08",
        "worked_minutes": 10_080,
        "rules_broken": [],
    }
    return {**line, **kw}
