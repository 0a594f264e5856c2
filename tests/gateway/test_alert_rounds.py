"""The alert path's rounds (alerts/rounds.py), without I/O: a key's steps keep their order, different keys
share rounds, and decisions that may join another alert's credit record never move before one that came
earlier in the batch."""

from __future__ import annotations

from newform_gateway.alerts.rounds import Step, rounds


def shape(steps: list[Step[str]]) -> list[tuple[list[str], list[str]]]:
    return [(r.findings, r.actions) for r in rounds(steps)]


def test_a_keys_steps_keep_their_order_and_different_keys_share_rounds():
    a, b = ("M3.x", "c_1"), ("M6.y", "st_1")
    steps = [
        Step("a-finding", a, action=False),
        Step("b-finding", b, action=False),
        Step("a-ack", a, action=True),
        Step("a-finding-again", a, action=False),  # after a's action: the next round
        Step("b-resolve", b, action=True),
        Step("a-resolve", a, action=True),
        Step("b-finding-again", b, action=False),  # b resolved: raises a new alert, after the resolution
    ]
    assert shape(steps) == [
        (["a-finding", "b-finding"], ["a-ack", "b-resolve"]),
        (["a-finding-again", "b-finding-again"], ["a-resolve"]),
    ]


def test_decisions_that_may_join_a_debts_record_keep_their_order():
    """a's confirmation is its second action (round 1); b's, later in the batch, would be round 0 by its own
    key — it waits for a's round, after a's in the batch's order (the first decision of a debt makes the
    record, the later one joins it)."""
    a, b, c = ("M6.wage_arrears", "st_1"), ("M6.wage_arrears", "ep_1"), ("M7.daily_hours", "w_1")
    steps = [
        Step("a-finding", a, action=False),
        Step("b-finding", b, action=False),
        Step("a-ack", a, action=True),
        Step("a-confirm", a, action=True, joins_debts=True),
        Step("b-confirm", b, action=True, joins_debts=True),
        Step("c-dismiss", c, action=True),  # not a debt's decision: its own key's first round
        Step("b-comment", b, action=True),
    ]
    assert shape(steps) == [
        (["a-finding", "b-finding"], ["a-ack", "c-dismiss"]),
        ([], ["a-confirm", "b-confirm"]),
        ([], ["b-comment"]),
    ]
    without_order = [Step(s.event, s.key, s.action) for s in steps]
    assert shape(without_order)[0][1] == ["a-ack", "b-confirm", "c-dismiss"]  # what the order prevents
