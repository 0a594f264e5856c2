"""The wages projection copies a statement line's fields as the row's columns: they must stay the same set."""

from __future__ import annotations

from datetime import UTC, date, datetime

from newform_gateway.projections.wages import StatementLine, WageStatement, _statement


def test_a_statement_lines_fields_are_the_read_models_columns():
    columns = set(WageStatement.__table__.columns.keys())
    assert set(StatementLine.model_fields) | {"batch_id", "platform_id", "reported_at"} == columns


def test_a_line_becomes_its_row():
    line = StatementLine.model_validate({
        "line_id": "l1", "statement_id": "st_1", "worker_id": "w_1", "contract_id": "ct_1",
        "period_start": "2024-03-01", "period_end": "2024-03-31", "due_date": "2024-04-10", "gross_fen": 300_000,
        "net_due_fen": 300_000, "paid_fen": 300_000, "paid_on": "2024-04-08", "worked_minutes": 10_080,
        "status": "judged", "rules_broken": ["M6.paid_late"], "added_later": 1})
    at = datetime(2024, 4, 9, tzinfo=UTC)
    row = _statement("p1", "bt_1", line, at)
    assert row["period_start"] == date(2024, 3, 1) and row["rules_broken"] == ["M6.paid_late"]
    assert (row["platform_id"], row["batch_id"], row["reported_at"], row["occupation"]) == ("p1", "bt_1", at, None)
    assert set(row) == set(WageStatement.__table__.columns.keys())
