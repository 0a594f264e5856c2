"""Each accepted batch publishes its totals per pay month, district and occupation: summed over the events,
they equal the platform's stored statements — a re-sent line adds nothing, a pending line judged later
moves to its engagement's group."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone

from newform_common import clock
from newform_common.policy import business_today
from newform_common.testing import eventually, fetch, scalar
from newform_wages.events import StatementsJudged, StatementTotalsChanged
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


async def published_lines(api, pid: str) -> dict[str, dict]:
    """Each statement's line as last published (accepted, then judged or paid: a later line replaces it)."""
    rows = await fetch(
        api.url,
        "select data from outbox where key = :p and type in "
        "('wages.statements.accepted.v1', 'wages.statements.judged.v1') order by id",
        p=pid,
    )
    return {line["statement_id"]: line for r in rows for line in r["data"]["lines"]}


async def pay(api, pid: str, statement_id: str, paid_fen: int, paid_on: date):
    r = await api.client.post(
        f"/v1/statements/{statement_id}/payments",
        headers=api.as_platform(pid),
        json={"paid_fen": paid_fen, "paid_on": paid_on.isoformat()},
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_later_payment_publishes_its_line_and_moves_the_totals_exactly(api, feed):
    """A statement reported unpaid and paid later: its line is published again with the amount and date
    paid, and the totals move it from unpaid to paid on time (paid in full by the due date) or to late (after
    it: the arrears found stay a breach) — summed, the totals events equal the lines as last published."""
    pid, worker = new_platform(), new_worker()
    a = await feed.signed(worker_id=worker, platform_id=pid)  # chengdong, food_delivery
    await engagement_known(api, a)
    today = business_today()
    due = today + timedelta(days=5)
    soon = statement(
        "soon",
        a,
        worker,
        period_start=(due - timedelta(days=20)).isoformat(),
        period_end=(due - timedelta(days=10)).isoformat(),
        due_date=due.isoformat(),
        paid_fen=0,
        paid_on=None,
        normal_hours=80,
    )
    owed = statement("owed", a, worker, paid_fen=0, paid_on=None)  # March 2024, due 2024-04-10: arrears
    assert (await upload(api, pid, [soon, owed]))["accepted"] == 2
    ids = {
        r["line_id"]: r["id"]
        for r in await fetch(api.url, "select id, line_id from statements where platform_id = :p", p=pid)
    }
    soon_month = (due - timedelta(days=10)).strftime("%Y-%m")
    before = summed(await totals_events(api, pid))
    assert before[(soon_month, "chengdong", "food_delivery")]["unpaid"] == 1
    assert before[("2024-03", "chengdong", "food_delivery")]["with_breaches"] == 1  # M6.wage_arrears

    await pay(api, pid, ids["soon"], 100_000, today)  # a part, on time: still unpaid
    await pay(api, pid, ids["soon"], 300_000, today)  # the rest, by the due date: paid on time, compliant
    paid = await pay(api, pid, ids["owed"], 300_000, date(2024, 5, 2))  # after the due date: late
    assert (paid["paid_fen"], paid["paid_on"]) == (300_000, "2024-05-02")

    judged = await fetch(
        api.url, "select data from outbox where key = :p and type = 'wages.statements.judged.v1' order by id", p=pid
    )
    events = [StatementsJudged.model_validate(r["data"]) for r in judged]
    assert [(e.cause, e.lines[0].line_id, e.lines[0].paid_fen) for e in events] == [
        ("paid", "soon", 100_000),
        ("paid", "soon", 300_000),
        ("paid", "owed", 300_000),
    ]
    owed_line = events[2].lines[0]
    assert owed_line.paid_on == date(2024, 5, 2) and "M6.wage_arrears" in owed_line.rules_broken  # stays arrears
    assert events[1].lines[0].rules_broken == [] and events[1].lines[0].status == "judged"

    groups = summed(await totals_events(api, pid))
    soon_group, march = (
        groups[(soon_month, "chengdong", "food_delivery")],
        groups[("2024-03", "chengdong", "food_delivery")],
    )
    assert (soon_group["unpaid"], soon_group["paid_on_time"], soon_group["compliant"]) == (0, 1, 1)
    assert (march["unpaid"], march["late"], march["paid_on_time"], march["compliant"]) == (0, 1, 0, 0)
    assert march["with_breaches"] == 1 and march["paid_fen"] == 300_000
    # what a reader of the events checks: the totals are the sums over the lines as last published
    lines = await published_lines(api, pid)
    assert {k: {c: v for c, v in g.items() if v} for k, g in groups.items()} == {
        (g["month"], g["district"], g["occupation"]): {c: g[c] for c in COUNTERS if g[c]}
        for g in deltas(lines.values())
    }

    # the same payment sent again: nothing changes, nothing is published
    published = await scalar(api.url, "select count(*) from outbox where key = :p", p=pid)
    await pay(api, pid, ids["owed"], 300_000, date(2024, 5, 2))
    assert await scalar(api.url, "select count(*) from outbox where key = :p", p=pid) == published
    stored = await fetch(
        api.url, "select line_id, paid_fen, rules_broken from statements where platform_id = :p", p=pid
    )
    assert {r["line_id"]: (r["paid_fen"], "M6.wage_arrears" in r["rules_broken"]) for r in stored} == {
        "soon": (300_000, False),
        "owed": (300_000, True),
    }


async def test_a_due_date_an_ended_contract_moves_is_published_and_a_later_payment_is_late_against_it(api, feed):
    """工资支付暂行规定 art. 9: ended on 2025-06-20, June's pay agreed for 07-15 is due that day; the line is
    published again with that due date, and a payment on 06-25 counts as late, not on time."""
    shanghai = timezone(timedelta(hours=8))
    pid, worker = new_platform(), new_worker()
    contract = await feed.signed(
        worker_id=worker,
        platform_id=pid,
        start=date(2025, 5, 1),
        pay_schedule={"period": "month", "day_of_month": 15, "month_offset": 1},
    )
    await engagement_known(api, contract)
    june = statement(
        "june",
        contract,
        worker,
        period_start="2025-06-01",
        period_end="2025-06-20",
        due_date=None,
        paid_fen=100_000,
        paid_on="2025-06-18",
    )
    with clock.frozen_at(datetime(2025, 6, 20, 9, tzinfo=shanghai)):
        assert (await upload(api, pid, [june]))["accepted"] == 1
    await feed.terminated(
        contract_id=contract, worker_id=worker, platform_id=pid, at=datetime(2025, 6, 20, 18, tzinfo=shanghai)
    )

    async def moved():
        return (await published_lines(api, pid)).popitem()[1]["due_date"] == "2025-06-20"

    await eventually(moved)
    statement_id = await scalar(api.url, "select id from statements where platform_id = :p", p=pid)
    await pay(api, pid, statement_id, 300_000, date(2025, 6, 25))
    judged = await fetch(
        api.url, "select data from outbox where key = :p and type = 'wages.statements.judged.v1' order by id", p=pid
    )
    assert [r["data"]["cause"] for r in judged] == ["due_moved", "paid"]
    groups = summed(await totals_events(api, pid))
    assert {k: {c: v for c, v in g.items() if v} for k, g in groups.items()} == {
        (g["month"], g["district"], g["occupation"]): {c: g[c] for c in COUNTERS if g[c]}
        for g in deltas((await published_lines(api, pid)).values())
    }
    june_group = groups[("2025-06", "chengdong", "food_delivery")]
    assert (june_group["late"], june_group["paid_on_time"], june_group["unpaid"]) == (1, 0, 0)


async def test_a_statement_stored_before_its_rules_were_kept_is_paid_with_the_rules_its_intake_found(api, feed):
    """wages_0010 keeps the rules a statement's line names; one stored before (null) is judged again as on the
    day it was received, so its line published again still names the arrears found then."""
    pid, worker = new_platform(), new_worker()
    a = await feed.signed(worker_id=worker, platform_id=pid)
    await engagement_known(api, a)
    assert (await upload(api, pid, [statement("old", a, worker, paid_fen=0, paid_on=None)]))["accepted"] == 1
    statement_id = await scalar(api.url, "select id from statements where platform_id = :p", p=pid)
    await fetch(api.url, "update statements set rules_broken = null where id = :s returning id", s=statement_id)
    await pay(api, pid, statement_id, 300_000, date(2024, 5, 2))
    lines = await published_lines(api, pid)
    assert lines[statement_id]["rules_broken"] == ["M20.wage_arrears_enforcement", "M6.wage_arrears"]
    assert await scalar(api.url, "select rules_broken from statements where id = :s", s=statement_id) == [
        "M20.wage_arrears_enforcement",
        "M6.wage_arrears",
    ]
    groups = summed(await totals_events(api, pid))
    march = groups[("2024-03", "chengdong", "food_delivery")]
    assert (march["statements"], march["with_breaches"], march["late"], march["unpaid"]) == (1, 1, 1, 0)
