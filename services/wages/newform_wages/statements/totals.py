"""A batch's totals per (pay month, district, occupation): what `wages.statements.totals.v1` carries so the
gateway adds numbers instead of folding every line (events.py, `StatementTotalsChanged`, says why the deltas
never count a line twice).

A line's contribution is computed from the line exactly as it is published (`service._line`): the same
fields the gateway's line table holds, so the totals equal sums over the lines by construction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

#: The counters of a group, in the order `contribution` returns them (StatementTotals' fields).
COUNTERS = (
    "statements",
    "judged",
    "pending",
    "minimum_wage_met",
    "below_minimum",
    "paid_on_time",
    "unpaid",
    "late",
    "with_breaches",
    "compliant",
    "gross_fen",
    "net_due_fen",
    "paid_fen",
    "worked_minutes",
)

Key = tuple[str, str | None, str | None]


def key_of(line: dict[str, Any]) -> Key:
    """(month of period end YYYY-MM, district, occupation); a pending line has no district or occupation."""
    return line["period_end"][:7], line["district"], line["occupation"]


def contribution(line: dict[str, Any]) -> tuple[int, ...]:
    """A published line's part of its group's counters (COUNTERS' order). On time: paid in full (net due)
    by the due date (M6, 工资支付暂行规定 art. 7); compliant: judged, minimum wage met (M6, 最低工资规定), on time
    and no rule broken (the platform scorecard's `scorecards.pay_compliance_percent`)."""
    judged = line["status"] == "judged"
    paid_on = line["paid_on"]  # ISO dates compare as the dates they name
    paid_in_full = line["paid_fen"] >= line["net_due_fen"]
    on_time = judged and paid_in_full and paid_on is not None and paid_on <= line["due_date"]
    late = judged and paid_on is not None and paid_on > line["due_date"]
    met = line["minimum_wage_met"]
    return (
        1,
        int(judged),
        int(not judged),
        int(met is True),
        int(met is False),
        int(on_time),
        int(judged and not paid_in_full),
        int(late),
        int(bool(line["rules_broken"])),
        int(on_time and met is True and not line["rules_broken"]),
        line["gross_fen"],
        line["net_due_fen"],
        line["paid_fen"],
        line["worked_minutes"],
    )


def deltas(added: Iterable[dict[str, Any]], removed: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """The groups' changes: the `added` lines' contributions minus the `removed` lines' (a pending line's
    contribution as published before it was judged). Groups whose every counter nets to zero are left out."""
    sums: dict[Key, list[int]] = {}
    for lines, sign in ((added, 1), (removed, -1)):
        by_group: dict[Key, list[tuple[int, ...]]] = defaultdict(list)
        for line in lines:
            by_group[key_of(line)].append(contribution(line))
        for key, rows in by_group.items():  # summed column by column in C: a batch has 10,000 lines
            group = sums.setdefault(key, [0] * len(COUNTERS))
            for i, total in enumerate(map(sum, zip(*rows, strict=True))):
                group[i] += sign * total
    return [
        {"month": month, "district": district, "occupation": occupation, **dict(zip(COUNTERS, values, strict=True))}
        for (month, district, occupation), values in sorted(sums.items(), key=lambda kv: tuple(str(k) for k in kv[0]))
        if any(values)
    ]
