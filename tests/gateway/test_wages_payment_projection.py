"""A later payment reaches the gateway as its statement's line published again (`wages.statements.judged.v1`,
cause `paid`): the line replaces the row, however many lines of one statement a polled batch holds (a judging
and a payment, two payments), and the totals' deltas beside them keep wage_totals the sums over the rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from newform_common.db import Database
from newform_common.events import Envelope
from newform_gateway.projections.base import Typed
from newform_gateway.sources.wages.projection import (
    StatementsAccepted,
    StatementsJudged,
    StatementTotalsChanged,
    apply,
)
from newform_gateway.sources.wages.repository import pay_compliance
from newform_wages.statements.totals import deltas

from ..kit.gateway import migrated_database
from ..kit.wages import PAY_FIGURES_FROM_LINES

PLATFORM = "p_paid"


def _line(statement_id: str, **kw: Any) -> dict[str, Any]:
    return {
        "line_id": f"l_{statement_id}",
        "statement_id": statement_id,
        "worker_id": "w_1",
        "contract_id": "ct_1",
        "period_start": "2024-03-01",
        "period_end": "2024-03-31",
        "due_date": "2024-04-10",
        "gross_fen": 300_000,
        "net_due_fen": 300_000,
        "paid_fen": 0,
        "paid_on": None,
        "worked_minutes": 10_080,
        "status": "judged",
        "occupation": "courier",
        "district": "chengxi",
        "minimum_wage_met": True,
        "rules_broken": [],
        **kw,
    }


def _event(event_id: str, kind: str, data: dict[str, Any]) -> Typed:
    model = {"accepted": StatementsAccepted, "judged": StatementsJudged}[kind]
    envelope = Envelope(
        id=event_id,
        source="/newform/wages",
        type=f"wages.statements.{kind}.v1",
        time=datetime.now(UTC),
        key=PLATFORM,
        data=data,
    )
    return Typed(envelope, model.model_validate(data))


def _paid(event_id: str, line: dict[str, Any]) -> Typed:
    return _event(
        event_id, "judged", {"platform_id": PLATFORM, "contract_id": "ct_1", "cause": "paid", "lines": [line]}
    )


def _totals(event_id: str, new: list[dict[str, Any]], old: list[dict[str, Any]] = ()) -> Typed:
    """The totals' change wages publishes beside the lines: the old lines out, the new ones in."""
    data = {"platform_id": PLATFORM, "cause": "judged", "groups": deltas(new, old)}
    envelope = Envelope(
        id=event_id,
        source="/newform/wages",
        type="wages.statements.totals.v1",
        time=datetime.now(UTC),
        key=PLATFORM,
        data=data,
    )
    return Typed(envelope, StatementTotalsChanged.model_validate(data))


async def test_payments_replace_their_lines_and_the_totals_stay_the_sums_over_them(new_database):
    url = await migrated_database(new_database)
    db = Database(url, service="gateway")
    a0, b0 = _line("st_a"), _line("st_b", rules_broken=["M6.wage_arrears", "M20.wage_arrears_enforcement"])
    a1 = {**a0, "paid_fen": 100_000, "paid_on": "2024-04-05"}  # a part, on time
    a2 = {**a0, "paid_fen": 300_000, "paid_on": "2024-04-08"}  # in full by the due date
    b1 = {**b0, "paid_fen": 300_000, "paid_on": "2024-05-02"}  # in full, late: the arrears stay
    c0 = _line("st_c", period_end="2024-03-30")
    c1 = {**c0, "paid_fen": 300_000, "paid_on": "2024-04-09"}
    accepted = {"batch_id": "bt_1", "platform_id": PLATFORM, "chunk": 0, "lines": [a0, b0]}
    try:
        async with db.transaction() as session:
            await apply(session, [_event("e1", "accepted", accepted), _totals("t1", [a0, b0])], None)
        async with db.transaction() as session:  # one polled batch: two payments of one statement, one of another
            await apply(
                session,
                [
                    _paid("e2", a1),
                    _totals("t2", [a1], [a0]),
                    _paid("e3", a2),
                    _totals("t3", [a2], [a1]),
                    _paid("e4", b1),
                    _totals("t4", [b1], [b0]),
                ],
                None,
            )
        async with db.transaction() as session:  # a line accepted and paid in the same polled batch
            accepted_c = {"batch_id": "bt_2", "platform_id": PLATFORM, "chunk": 0, "lines": [c0]}
            await apply(
                session,
                [_event("e5", "accepted", accepted_c), _totals("t5", [c0]), _paid("e6", c1), _totals("t6", [c1], [c0])],
                None,
            )
        async with db.transaction() as session:
            rows = (
                await session.execute(
                    text(
                        "select statement_id, paid_fen, paid_on::text, batch_id from wage_statements "
                        "order by statement_id"
                    )
                )
            ).all()
            assert [tuple(r) for r in rows] == [
                ("st_a", 300_000, "2024-04-08", "bt_1"),
                ("st_b", 300_000, "2024-05-02", "bt_1"),
                ("st_c", 300_000, "2024-04-09", "bt_2"),
            ]
            compliance = await pay_compliance(session, PLATFORM)
            from_lines = (await session.execute(text(PAY_FIGURES_FROM_LINES), {"p": PLATFORM})).mappings().all()
            assert compliance == [dict(r) for r in from_lines]
            assert [(r["statements"], r["paid_on_time"], r["with_breaches"], r["paid_fen"]) for r in compliance] == [
                (3, 2, 1, 900_000)
            ]
    finally:
        await db.dispose()
