"""Reading a batch's lines: the whole-batch validation gives what line-by-line validation gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from newform_common.db import Database
from newform_wages import intake, repository, service
from newform_wages.schemas import StatementIn

from .support import new_worker, statement


def _lines(body: str):
    return intake.split(body.encode(), "jsonl", intake.STATEMENT_HEADERS, 10_000)


def test_a_good_batch_is_validated_at_once_as_line_by_line():
    worker = new_worker()
    body = "\n".join(json.dumps(statement(f"l{i}", f"ct_{i}", worker, overtime_hours=1.5,
                                          deductions=[{"reason": "income_tax", "amount_fen": i}])) for i in range(5))
    errors: list = []
    at_once = service._validated_at_once(_lines(body), service._statement_adapter)
    one_by_one = service._validated_one_by_one(_lines(body), service._statement_adapter, errors)
    assert at_once == one_by_one and not errors
    assert [number for number, _ in at_once] == [1, 2, 3, 4, 5]


def test_one_bad_line_sends_the_batch_line_by_line():
    worker = new_worker()
    body = json.dumps(statement("good", "ct_1", worker)) + "\n" + json.dumps(statement("bad", "ct_2", worker,
                                                                                      gross_fen="lots"))
    assert service._validated_at_once(_lines(body), service._statement_adapter) is None
    assert service._validated_at_once(_lines(body.replace('"lots"', "1") + "\n[1,\n2]"),
                                      service._statement_adapter) is None


async def test_rows_stored_meanwhile_are_skipped_and_the_others_inserted(api):
    """The COPY fails on a row a concurrent upload stored: the insert then skips just that row."""
    worker, now = new_worker(), datetime.now(UTC)
    rows = [service._statement_row(StatementIn.model_validate(statement(f"l{i}", f"ct_{i}", worker,
                                                                        deductions=[{"reason": "income_tax",
                                                                                     "amount_fen": i}])),
                                   "p_copy", None, now) for i in range(3)]
    db = Database(api.url, service="wages")
    try:
        async with db.transaction() as session:
            assert await repository.insert_rows(session, "statements", repository.STATEMENT_COLUMNS, rows[:1],
                                                conflict="(platform_id, line_id)", returning="line_id") == ["l0"]
        async with db.transaction() as session:
            again = [{**rows[0], "id": "st_other"}, *rows[1:]]
            assert await repository.insert_rows(session, "statements", repository.STATEMENT_COLUMNS, again,
                                                conflict="(platform_id, line_id)", returning="line_id") == ["l1", "l2"]
        async with db.transaction() as session:
            stored = (await session.execute(text(
                "select line_id, deductions from statements where platform_id = 'p_copy' order by line_id"))).all()
        assert [(r[0], r[1]) for r in stored] == [(f"l{i}", [{"reason": "income_tax", "amount_fen": i}])
                                                   for i in range(3)]
    finally:
        await db.dispose()
