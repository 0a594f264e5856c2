"""Reading a batch's lines: the whole-batch validation gives what line-by-line validation gives."""

from __future__ import annotations

import json

from newform_wages import intake, service

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
