"""Reading a batch's lines: the whole-batch validation gives what line-by-line validation gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from newform_common.db import Database
from newform_wages import intake, repository
from newform_wages.batches.service import validated_at_once, validated_one_by_one
from newform_wages.statements import repository as statements_repository
from newform_wages.statements.schemas import StatementIn
from newform_wages.statements.service import STATEMENT_LINES, _statement_row

from ..kit.wages import new_worker, statement


def _lines(body: str):
    return intake.split(body.encode(), "jsonl", intake.STATEMENT_HEADERS, 10_000)


def test_a_good_batch_is_validated_at_once_as_line_by_line():
    worker = new_worker()
    body = "\n".join(
        json.dumps(
            statement(
                f"l{i}", f"ct_{i}", worker, overtime_hours=1.5, deductions=[{"reason": "income_tax", "amount_fen": i}]
            )
        )
        for i in range(5)
    )
    errors: list = []
    at_once = validated_at_once(_lines(body), STATEMENT_LINES)
    one_by_one = validated_one_by_one(_lines(body), STATEMENT_LINES, errors)
    assert at_once == one_by_one and not errors
    assert [number for number, _ in at_once] == [1, 2, 3, 4, 5]


def test_one_bad_line_sends_the_batch_line_by_line():
    worker = new_worker()
    body = (
        json.dumps(statement("good", "ct_1", worker))
        + "\n"
        + json.dumps(statement("bad", "ct_2", worker, gross_fen="lots"))
    )
    assert validated_at_once(_lines(body), STATEMENT_LINES) is None
    assert validated_at_once(_lines(body.replace('"lots"', "1") + "\n[1,\n2]"), STATEMENT_LINES) is None


async def test_rows_stored_meanwhile_are_skipped_and_the_others_inserted(api):
    """The COPY fails on a row a concurrent upload stored: the insert then skips just that row."""
    worker, now = new_worker(), datetime.now(UTC)
    rows = [
        _statement_row(
            StatementIn.model_validate(
                statement(f"l{i}", f"ct_{i}", worker, deductions=[{"reason": "income_tax", "amount_fen": i}])
            ),
            "p_copy",
            None,
            now,
        )
        for i in range(3)
    ]
    db = Database(api.url, service="wages")
    try:
        async with db.transaction() as session:
            assert await repository.insert_rows(
                session,
                "statements",
                statements_repository.STATEMENT_COLUMNS,
                rows[:1],
                conflict="(platform_id, line_id)",
                returning="line_id",
            ) == ["l0"]
        async with db.transaction() as session:
            again = [{**rows[0], "id": "st_other"}, *rows[1:]]
            assert await repository.insert_rows(
                session,
                "statements",
                statements_repository.STATEMENT_COLUMNS,
                again,
                conflict="(platform_id, line_id)",
                returning="line_id",
            ) == ["l1", "l2"]
        async with db.transaction() as session:
            stored = (
                await session.execute(
                    text("select line_id, deductions from statements where platform_id = 'p_copy' order by line_id")
                )
            ).all()
        assert [(r[0], r[1]) for r in stored] == [
            (f"l{i}", [{"reason": "income_tax", "amount_fen": i}]) for i in range(3)
        ]
    finally:
        await db.dispose()


def test_a_csv_premium_day_may_name_the_time_off_given_in_lieu():
    body = (
        "行标识,合同编号,劳动者编号,周期开始,周期结束,应发工资(分),加班日期\n"
        "l1,ct_1,w_abc123,2025-10-01,2025-10-31,100,2025-10-04:8:2025-10-13；2025-10-01：8\n"
    )
    [line] = intake.split(body.encode(), "csv", intake.STATEMENT_HEADERS, 10_000)
    parsed = StatementIn.model_validate(line.data)
    assert [(str(p.date), float(p.hours), str(p.time_off_in_lieu_on)) for p in parsed.premium_days] == [
        ("2025-10-04", 8.0, "2025-10-13"),
        ("2025-10-01", 8.0, "None"),
    ]
