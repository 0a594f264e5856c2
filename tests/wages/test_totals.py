"""Each accepted batch publishes its totals per pay month, district and occupation: summed over the events,
they equal the platform's stored statements — a re-sent line adds nothing, a pending line judged later
moves to its engagement's group."""

from __future__ import annotations

import json
from collections import Counter

from newform_common.testing import eventually, fetch, scalar
from newform_wages.events import StatementTotalsChanged
from newform_wages.statements.totals import COUNTERS, deltas

from ..kit.wages import new_platform, new_worker, statement


def jsonl(lines) -> str:
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"


async def engagement_known(api, contract_id: str) -> None:
    async def check():
        return await scalar(api.url, "select status from engagements where contract_id = :c", c=contract_id) == "signed"

    await eventually(check)


async def upload(api, pid: str, lines: list[dict]) -> dict:
    r = await api.client.post(
        "/v1/statements/batches",
        content=jsonl(lines),
        headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def totals_events(api, pid: str) -> list[StatementTotalsChanged]:
    rows = await fetch(api.url, "select data from outbox where type = 'wages.statements.totals.v1' and key = :p", p=pid)
    # written as JSON data directly (record_data): it must be exactly the published event's shape
    return [StatementTotalsChanged.model_validate(r["data"]) for r in rows]


def summed(events: list[StatementTotalsChanged]) -> dict[tuple, Counter]:
    groups: dict[tuple, Counter] = {}
    for event in events:
        for g in event.groups:
            groups.setdefault((g.month, g.district, g.occupation), Counter()).update(
                {c: getattr(g, c) for c in COUNTERS}
            )
    return groups


async def test_the_totals_events_add_up_to_the_stored_statements(api, feed):
    pid = new_platform()
    w1, w2, w3 = new_worker(), new_worker(), new_worker()
    a = await feed.signed(worker_id=w1, platform_id=pid)  # chengdong, food_delivery
    b = await feed.signed(worker_id=w2, platform_id=pid, district="chengxi", occupation="courier")
    await engagement_known(api, a)
    await engagement_known(api, b)
    first = [
        statement("a-03", a, w1),
        statement(
            "a-04",
            a,
            w1,
            period_start="2024-04-01",
            period_end="2024-04-30",
            due_date="2024-05-10",
            paid_on="2024-05-20",
        ),
        statement(
            "a-05",
            a,
            w1,
            period_start="2024-05-01",
            period_end="2024-05-31",
            due_date="2024-06-10",
            paid_fen=100_000,
            paid_on="2024-06-08",
        ),
        statement("b-03", b, w2, base_fen=100_000, gross_fen=100_000, paid_fen=100_000),
    ]
    assert (await upload(api, pid, first))["accepted"] == 4
    assert len(await totals_events(api, pid)) == 1
    resent = await upload(api, pid, first[:2])
    assert (resent["accepted"], resent["duplicates"]) == (0, 2)
    assert len(await totals_events(api, pid)) == 1  # nothing stored, nothing published
    june = statement(
        "a-06", a, w1, period_start="2024-06-01", period_end="2024-06-30", due_date="2024-07-10", paid_on="2024-07-08"
    )
    mixed = await upload(api, pid, [first[0], june])
    assert (mixed["accepted"], mixed["duplicates"]) == (1, 1)

    # a line of an engagement not known yet: pending, counted without district and occupation
    c = "ct_later" + pid
    july = statement(
        "c-07", c, w3, period_start="2024-07-01", period_end="2024-07-31", due_date="2024-08-10", paid_on="2024-08-08"
    )
    assert (await upload(api, pid, [july]))["pending"] == 1
    groups = summed(await totals_events(api, pid))
    assert (groups[("2024-07", None, None)]["statements"], groups[("2024-07", None, None)]["pending"]) == (1, 1)
    await feed.signed(worker_id=w3, platform_id=pid, contract_id=c, district="chengxi", occupation="courier")

    async def judged():
        return (
            await scalar(
                api.url, "select count(*) from statements where status = 'pending' and platform_id = :p", p=pid
            )
            == 0
        )

    await eventually(judged)
    events = await totals_events(api, pid)
    assert [e.cause for e in events].count("judged") == 1
    groups = summed(events)
    assert not any(groups[("2024-07", None, None)].values())  # moved out whole
    assert groups[("2024-07", "chengxi", "courier")]["judged"] == 1
    assert groups[("2024-07", "chengxi", "courier")]["paid_on_time"] == 1

    # what a user checks: the sums equal the stored statements
    stored = (
        await fetch(
            api.url,
            "select count(*) as statements, count(*) filter (where status = 'judged') as judged, "
            "sum(gross_fen) as gross_fen, sum(gross_fen - deductions_fen) as net_due_fen, sum(paid_fen) as paid_fen "
            "from statements where platform_id = :p",
            p=pid,
        )
    )[0]
    everything = sum(groups.values(), Counter())
    assert {k: everything[k] for k in stored} == {k: int(v) for k, v in stored.items()}
    assert everything["pending"] == 0 and everything["statements"] == 6
    assert groups[("2024-03", "chengxi", "courier")]["below_minimum"] == 1  # M6.minimum_wage
    assert groups[("2024-03", "chengdong", "food_delivery")]["compliant"] == 1
    assert groups[("2024-04", "chengdong", "food_delivery")]["late"] == 1  # paid in full, after the due date
    assert groups[("2024-04", "chengdong", "food_delivery")]["paid_on_time"] == 0
    assert groups[("2024-05", "chengdong", "food_delivery")]["unpaid"] == 1
    assert everything["compliant"] == 3  # March and June of a, July of c


def test_a_judged_line_moves_between_groups_and_only_its_changes_count():
    """The delta of a judging: the line as published while pending out, the judged line in."""
    judged = {
        "period_end": "2024-03-31",
        "district": "chengdong",
        "occupation": "food_delivery",
        "status": "judged",
        "paid_on": "2024-04-12",
        "due_date": "2024-04-10",
        "gross_fen": 300_000,
        "net_due_fen": 300_000,
        "paid_fen": 300_000,
        "worked_minutes": 10_080,
        "minimum_wage_met": True,
        "rules_broken": ["M6.paid_late"],
    }
    pending = {
        **judged,
        "status": "pending",
        "district": None,
        "occupation": None,
        "minimum_wage_met": None,
        "rules_broken": [],
    }
    out, into = deltas([judged], [pending])
    assert (out["district"], out["statements"], out["pending"], out["paid_fen"]) == (None, -1, -1, -300_000)
    assert (into["district"], into["statements"], into["judged"], into["late"], into["compliant"]) == (
        "chengdong",
        1,
        1,
        1,
        0,
    )
    assert into["with_breaches"] == 1 and into["minimum_wage_met"] == 1 and into["paid_on_time"] == 0
    # the same line added and taken away: no group left
    assert deltas([judged], [judged]) == []
