"""The wages service's API, against real PostgreSQL and Kafka (engagements arrive through contracts' events)."""

from __future__ import annotations

import json
from datetime import date, timedelta

from newform_common import testing as kit
from newform_common.deadlines import end_of_business_day
from newform_common.policy import business_today
from newform_common.testing import eventually, fetch, scalar
from newform_wages.events import StatementsAccepted
from newform_wages.statements.clocks import DEADLINE_HANDLERS

from ..kit.wages import new_platform, new_worker, session_line, statement


def jsonl(lines) -> str:
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"


async def engagement_known(api, contract_id: str, status: str = "signed"):
    async def check():
        return await scalar(api.url, "select status from engagements where contract_id = :c", c=contract_id) == status

    await eventually(check)


async def rules_of(api, subject_id: str) -> list[str]:
    rows = await fetch(api.url, "select rule from findings where subject_id = :s order by rule", s=subject_id)
    return [r["rule"] for r in rows]


async def test_the_service_is_ready_and_lists_no_findings_yet(api):
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    assert (await api.client.get("/v1/findings")).status_code == 401


async def test_a_batch_keeps_good_lines_and_reports_each_bad_line(api, feed):
    pid, worker = new_platform(), new_worker()
    contract = await feed.signed(worker_id=worker, platform_id=pid)
    await engagement_known(api, contract)
    lines = [
        statement("ok-1", contract, worker),
        statement("neg", contract, worker, base_fen=-5),
        statement("backwards", contract, worker, period_start="2024-03-31", period_end="2024-03-01"),
        statement(
            "too-many-hours",
            contract,
            worker,
            period_start="2024-03-01",
            period_end="2024-03-01",
            due_date="2024-03-05",
            normal_hours=20,
            overtime_hours=5,
        ),
        statement(
            "before-policy",
            contract,
            worker,
            period_start="2021-03-01",
            period_end="2021-03-31",
            due_date="2021-04-10",
            paid_on="2021-04-08",
        ),
        statement("fine", contract, worker, deductions=[{"reason": "fine", "amount_fen": 5000}], paid_fen=295_000),
        statement("unknown-contract", "ct_not_yet", worker),
    ]
    r = await api.client.post(
        "/v1/statements/batches",
        content=jsonl(lines),
        headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson", "Idempotency-Key": "b-1"},
    )
    assert r.status_code == 201, r.text
    batch = r.json()
    assert (batch["line_count"], batch["accepted"], batch["rejected"], batch["pending"]) == (7, 3, 4, 1)
    by_line = {e["line"]: e for e in batch["errors"]}
    assert by_line[2]["field"] == "base_fen" and by_line[2]["line_id"] == "neg"
    assert by_line[3]["field"] == "period_end"
    assert by_line[4]["field"] == "normal_hours" and "24 hours" in by_line[4]["message"]
    assert by_line[5]["type"] == "predates-policy" and by_line[5]["field"] == "period_start"
    stored = await fetch(
        api.url, "select line_id, status from statements where platform_id = :p order by line_id", p=pid
    )
    assert stored == [
        {"line_id": "fine", "status": "judged"},
        {"line_id": "ok-1", "status": "judged"},
        {"line_id": "unknown-contract", "status": "pending"},
    ]  # nothing of a bad line is stored
    fine_id = await scalar(api.url, "select id from statements where line_id = 'fine' and platform_id = :p", p=pid)
    assert await rules_of(api, fine_id) == ["M6.unlawful_deduction"]

    # the same upload again with its key: the first answer, nothing new
    again = await api.client.post(
        "/v1/statements/batches",
        content=jsonl(lines),
        headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson", "Idempotency-Key": "b-1"},
    )
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json()["batch_id"] == batch["batch_id"]
    # the good lines resent in a new upload: duplicates, nothing changes
    resent = await api.client.post(
        "/v1/statements/batches",
        content=jsonl([lines[0], lines[5]]),
        headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"},
    )
    assert (resent.json()["accepted"], resent.json()["duplicates"]) == (0, 2)
    assert await scalar(api.url, "select count(*) from statements where platform_id = :p", p=pid) == 3
    assert await rules_of(api, fine_id) == ["M6.unlawful_deduction"]

    got = await api.client.get(f"/v1/batches/{batch['batch_id']}", headers=api.as_platform(pid))
    assert got.status_code == 200 and got.json()["rejected"] == 4
    assert (
        await api.client.get(f"/v1/batches/{batch['batch_id']}", headers=api.as_platform(new_platform()))
    ).status_code == 404


async def test_a_statement_for_an_engagement_not_known_yet_is_judged_when_it_arrives(api, feed):
    pid, worker = new_platform(), new_worker()
    contract = "ct_late" + pid
    r = await api.client.post(
        "/v1/statements",
        headers=api.as_platform(pid),
        json=statement("early", contract, worker, base_fen=100_000, gross_fen=100_000, paid_fen=100_000),
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending" and r.json()["findings"] == []
    await feed.signed(worker_id=worker, platform_id=pid, contract_id=contract)

    async def judged():
        return (
            await scalar(api.url, "select status from statements where id = :i", i=r.json()["statement_id"]) == "judged"
        )

    await eventually(judged)
    assert await rules_of(api, r.json()["statement_id"]) == ["M6.minimum_wage"]
    events = await fetch(
        api.url,
        "select type from outbox where type = 'wages.statements.judged.v1' and data ->> 'contract_id' = :c",
        c=contract,
    )
    assert len(events) == 1


async def test_csv_with_chinese_headers_is_accepted(api, feed):
    pid, worker = new_platform(), new_worker()
    contract = await feed.signed(worker_id=worker, platform_id=pid)
    await engagement_known(api, contract)
    csv_text = (
        "行标识,合同编号,劳动者编号,周期开始,周期结束,应付日期,应发工资(分),基本工资(分),扣款,正常工时,"
        "实发工资(分),支付日期,支付方式\n"
        f"c1,{contract},{worker},2024-03-01,2024-03-31,2024-04-10,300000,300000,income_tax:1000,168,"
        "299000,2024-04-08,bank\n"
        f"c2,{contract},{worker},2024-04-01,2024-04-30,2024-05-10,300000,300000,,168,300000,2024-05-08,"
        "points\n"
        f"c3,{contract},{worker},2024-05-01,2024-05-31,2024-06-10,abc,300000,,168,0,,bank\n"
    )
    r = await api.client.post(
        "/v1/statements/batches",
        content=csv_text.encode(),
        headers={**api.as_platform(pid), "Content-Type": "text/csv; charset=utf-8"},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["accepted"], r.json()["rejected"]) == (2, 1)
    assert r.json()["errors"][0]["line"] == 3 and r.json()["errors"][0]["field"] == "gross_fen"
    c2 = await scalar(api.url, "select id from statements where line_id = 'c2' and platform_id = :p", p=pid)
    assert await rules_of(api, c2) == ["M6.paid_in_money"]


async def test_a_single_bad_statement_is_a_problem_and_a_batch_over_the_limit_is_refused(api):
    pid, worker = new_platform(), new_worker()
    r = await api.client.post(
        "/v1/statements",
        headers=api.as_platform(pid),
        json=statement(
            "old",
            "ct_x",
            worker,
            period_start="2020-05-01",
            period_end="2020-05-31",
            due_date="2020-06-10",
            paid_on="2020-06-08",
        ),
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["type"] == "predates-policy"
    r = await api.client.post(
        "/v1/statements", headers=api.as_platform(pid), json=statement("neg", "ct_x", worker, paid_fen=-1)
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "paid_fen"
    for absurd in ({"period_end": "9999-12-31", "due_date": None}, {"due_date": "9999-12-31"}):
        r = await api.client.post(
            "/v1/statements", headers=api.as_platform(pid), json=statement("absurd", "ct_x", worker, **absurd)
        )
        assert r.status_code == 422, r.text
    r = await api.client.post(
        "/v1/sessions",
        headers=api.as_platform(pid),
        json=session_line("far", worker, "9999-12-31T20:00:00-08:00", "9999-12-31T22:00:00-08:00"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "started_at"
    too_many = "\n".join(json.dumps({"line_id": f"l{i}"}) for i in range(10_001))
    r = await api.client.post(
        "/v1/statements/batches",
        content=too_many,
        headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 413 and r.json()["max_lines"] == 10_000
    r = await api.client.post(
        "/v1/statements/batches", content="x", headers={**api.as_platform(pid), "Content-Type": "text/plain"}
    )
    assert r.status_code == 415
    assert await scalar(api.url, "select count(*) from statements where platform_id = :p", p=pid) == 0


async def test_a_worker_on_two_platforms_is_judged_on_the_sum_and_each_sees_its_share(api, feed):
    worker, p1, p2 = new_worker(), new_platform(), new_platform()
    day = "2024-03-04"
    r1 = await api.client.post(
        "/v1/sessions/batches",
        headers={**api.as_platform(p1), "Content-Type": "application/x-ndjson"},
        content=jsonl(
            [
                session_line("a", worker, f"{day}T06:00:00+08:00", f"{day}T09:30:00+08:00"),
                session_line("b", worker, f"{day}T10:00:00+08:00", f"{day}T13:30:00+08:00"),
                session_line("c", worker, f"{day}T13:00:00+08:00", f"{day}T14:00:00+08:00"),
            ]
        ),
    )
    assert r1.status_code == 201, r1.text
    assert r1.json()["accepted"] == 2 and r1.json()["errors"][0]["line"] == 3
    assert "overlaps" in r1.json()["errors"][0]["message"]
    r2 = await api.client.post(
        "/v1/sessions/batches",
        headers={**api.as_platform(p2), "Content-Type": "application/x-ndjson"},
        content=jsonl([session_line("x", worker, f"{day}T15:00:00+08:00", f"{day}T20:00:00+08:00")]),
    )
    assert r2.json()["accepted"] == 1
    # 7 h on p1 + 5 h on p2 = 12 h > 8 + 3: the whole finding for oversight, each platform its own share
    found = await fetch(
        api.url,
        "select platform_id, evidence from findings where rule = 'M7.daily_hours' "
        "and worker_id = :w order by platform_id",
        w=worker,
    )
    by_platform = {f["platform_id"]: f["evidence"] for f in found}
    assert by_platform[None]["total_minutes"] == 720
    assert {p: (e["own_minutes"], "total_minutes" in e) for p, e in by_platform.items() if p} == {
        p1: (420, False),
        p2: (300, False),
    }
    seen_by_p1 = (
        await api.client.get("/v1/findings", headers=api.as_platform(p1), params={"rule": "M7.daily_hours"})
    ).json()["items"]
    assert [f["evidence"]["own_minutes"] for f in seen_by_p1] == [420] and "12.0" not in seen_by_p1[0]["summary"]
    own = await api.client.get(f"/v1/workers/{worker}/hours", params={"month": "2024-03"}, headers=api.as_platform(p1))
    assert own.json()["total_minutes"] == 420 and list(own.json()["days"][0]["by_platform"]) == [p1]
    mine = await api.client.get(
        f"/v1/workers/{worker}/hours", params={"month": "2024-03"}, headers=api.as_worker(worker)
    )
    assert mine.json()["total_minutes"] == 720
    assert (
        await api.client.get(
            f"/v1/workers/{worker}/hours", params={"month": "2024-03"}, headers=api.as_worker(new_worker())
        )
    ).status_code == 403
    sessions = await api.client.get("/v1/sessions", headers=api.as_worker(worker))
    assert {s["platform_id"] for s in sessions.json()["items"]} == {p1, p2}
    # the same session resent changes nothing, and raises nothing twice
    again = await api.client.post(
        "/v1/sessions/batches",
        headers={**api.as_platform(p2), "Content-Type": "application/x-ndjson"},
        content=jsonl([session_line("x", worker, f"{day}T15:00:00+08:00", f"{day}T20:00:00+08:00")]),
    )
    assert again.json()["duplicates"] == 1
    assert (
        await scalar(
            api.url, "select count(*) from findings where rule = 'M7.daily_hours' and worker_id = :w", w=worker
        )
        == 3
    )


async def test_five_hours_without_a_break_is_a_rest_finding(api):
    pid, worker = new_platform(), new_worker()
    r = await api.client.post(
        "/v1/sessions",
        headers=api.as_platform(pid),
        json=session_line("long", worker, "2024-03-05T08:00:00+08:00", "2024-03-05T13:00:00+08:00"),
    )
    assert r.status_code == 201, r.text
    found = await fetch(
        api.url,
        "select platform_id, evidence from findings where rule = 'M7.rest_break' "
        "and worker_id = :w order by platform_id nulls first",
        w=worker,
    )
    assert [f["platform_id"] for f in found] == [None, pid]
    assert found[0]["evidence"]["continuous_minutes"] == 300 and found[1]["evidence"]["own_minutes"] == 300


async def test_a_quota_most_workers_cannot_reach_in_8_hours_is_a_finding(api):
    pid = new_platform()
    r = await api.client.post(
        "/v1/quotas",
        headers=api.as_platform(pid),
        json={"post": "rider", "orders_per_day": 40, "effective_from": "2024-01-01"},
    )
    assert r.status_code == 201, r.text
    quota_id = r.json()["quota_id"]
    lines = [
        session_line(
            f"q{i}",
            new_worker(),
            "2024-03-06T09:00:00+08:00",
            "2024-03-06T13:00:00+08:00",
            post="rider",
            orders_completed=15 if i < 3 else 25,
        )
        for i in range(10)
    ]
    await api.client.post(
        "/v1/sessions/batches",
        content=jsonl(lines),
        headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"},
    )
    r = await api.client.post(
        f"/v1/quotas/{quota_id}/assessments", headers=api.regulator, json={"work_date": "2024-03-06"}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["workers"], r.json()["reaching"], r.json()["met"]) == (10, 7, False)
    assert (
        await scalar(
            api.url, "select count(*) from findings where rule = 'M7.quota_unreachable' and platform_id = :p", p=pid
        )
        == 1
    )


async def test_an_unpaid_statement_becomes_arrears_at_its_due_date_and_a_partial_payment_of_the_difference(api, feed):
    pid, worker = new_platform(), new_worker()
    contract = await feed.signed(worker_id=worker, platform_id=pid)
    await engagement_known(api, contract)
    due = date.today() + timedelta(days=5)
    r = await api.client.post(
        "/v1/statements",
        headers=api.as_platform(pid),
        json=statement(
            "owed",
            contract,
            worker,
            period_start=(due - timedelta(days=20)).isoformat(),
            period_end=(due - timedelta(days=10)).isoformat(),
            due_date=due.isoformat(),
            paid_fen=0,
            paid_on=None,
            base_fen=300_000,
            gross_fen=300_000,
            normal_hours=80,
        ),
    )
    assert r.status_code == 201, r.text
    statement_id = r.json()["statement_id"]
    assert await rules_of(api, statement_id) == []
    paid = await api.client.post(
        f"/v1/statements/{statement_id}/payments",
        headers=api.as_platform(pid),
        json={"paid_fen": 200_000, "paid_on": business_today().isoformat()},
    )
    assert paid.status_code == 200, paid.text
    from newform_common.db import Database
    from newform_common.deadlines import fire_due

    db = Database(api.url, service="wages")
    try:
        early = await fire_due(db, DEADLINE_HANDLERS, now=end_of_business_day(due) - timedelta(minutes=1))
        assert statement_id not in [d.subject_id for d in early]
        fired = await fire_due(db, DEADLINE_HANDLERS, now=end_of_business_day(due) + timedelta(minutes=1))
    finally:
        await db.dispose()
    assert [d.subject_id for d in fired if d.subject_id == statement_id] == [statement_id]
    found = await fetch(
        api.url, "select rule, evidence from findings where subject_id = :s order by rule", s=statement_id
    )
    assert [f["rule"] for f in found] == ["M20.wage_arrears_enforcement", "M6.wage_arrears"]
    assert found[1]["evidence"]["arrears_fen"] == 100_000 and found[1]["evidence"]["partial"] is True


async def test_a_period_without_a_paid_statement_is_arrears_at_its_due_date(api, feed):
    pid, worker = new_platform(), new_worker()
    contract = await feed.signed(worker_id=worker, platform_id=pid, start=date(2024, 1, 1))
    await engagement_known(api, contract)
    clocks = await fetch(
        api.url,
        "select kind, subject_id, due_at, data from deadlines where subject_id like :s order by kind",
        s=f"{contract}:%",
    )
    # from the contract's start; a period already past its warning gets no early warning
    assert {c["kind"] for c in clocks} == {"wages.period_due"}
    due_clock = next(c for c in clocks if c["kind"] == "wages.period_due")
    from newform_common.db import Database
    from newform_common.deadlines import fire_due

    db = Database(api.url, service="wages")
    try:
        await fire_due(db, DEADLINE_HANDLERS, now=due_clock["due_at"] + timedelta(minutes=1))
    finally:
        await db.dispose()
    found = await fetch(
        api.url, "select rule, severity from findings where subject_id = :s order by rule", s=due_clock["subject_id"]
    )
    assert [f["rule"] for f in found] == ["M20.wage_arrears_enforcement", "M6.wage_arrears"]
    # the next period's clock runs
    assert (
        await scalar(
            api.url,
            "select count(*) from deadlines where kind = 'wages.period_due' and status = "
            "'pending' and subject_id like :s",
            s=f"{contract}:%",
        )
        == 1
    )


async def test_a_related_units_arrears_names_the_unit_and_the_entrusted_platform(api, feed):
    from newform_common.testing import credit_code

    pid, worker, unit = new_platform(), new_worker(), "ent_" + new_platform()
    code = credit_code()
    r = await api.client.post(
        "/v1/related-units",
        headers=api.as_platform(pid),
        json={
            "enterprise_id": unit,
            "name": "某某劳务派遣有限公司",
            "credit_code": code,
            "kind": "outsourcer",
            "platform_entrusted_to_pay": True,
        },
    )
    assert r.status_code == 201, r.text
    contract = await feed.signed(worker_id=worker, platform_id=pid, enterprise_id=unit)
    await engagement_known(api, contract)
    r = await api.client.post(
        "/v1/statements",
        headers=api.as_platform(pid),
        json=statement("unpaid", contract, worker, paid_fen=0, paid_on=None),
    )
    assert r.status_code == 201, r.text
    found = await fetch(
        api.url,
        "select rule, enterprise_id, evidence from findings where subject_id = :s order by rule",
        s=r.json()["statement_id"],
    )
    by_rule = {f["rule"]: f for f in found}
    assert set(by_rule) == {"M6.wage_arrears", "M19.related_unit_arrears", "M20.wage_arrears_enforcement"}
    assert (
        by_rule["M6.wage_arrears"]["enterprise_id"] == unit
        and by_rule["M6.wage_arrears"]["evidence"]["credit_code"] == code
    )
    assert by_rule["M19.related_unit_arrears"]["enterprise_id"] == pid
    assert by_rule["M19.related_unit_arrears"]["evidence"]["credit_code"] == code
    # the unit stays liable; the entrusted platform pays for it but shares no credit record (item 6)
    assert by_rule["M19.related_unit_arrears"]["evidence"]["liable"] == ["related_unit"]
    assert by_rule["M19.related_unit_arrears"]["evidence"]["entrusted_payer"] == "platform"


async def test_a_workers_report_of_short_pay_is_reconciled_against_the_statements(api, feed):
    pid, worker = new_platform(), new_worker()
    contract = await feed.signed(worker_id=worker, platform_id=pid)
    await engagement_known(api, contract)
    await api.client.post("/v1/statements", headers=api.as_platform(pid), json=statement("m3", contract, worker))
    fine = await api.client.post(
        "/v1/me/pay-reports",
        headers=api.as_worker(worker),
        json={
            "platform_id": pid,
            "period_start": "2024-03-01",
            "period_end": "2024-03-31",
            "expected_fen": 300_000,
            "received_fen": 300_000,
            "received_on": "2024-04-08",
        },
    )
    assert fine.status_code == 201, fine.text
    assert fine.json()["outcome"] == "resolved" and fine.json()["finding"] is None
    short = await api.client.post(
        "/v1/me/pay-reports",
        headers=api.as_worker(worker),
        json={
            "platform_id": pid,
            "period_start": "2024-03-01",
            "period_end": "2024-03-31",
            "expected_fen": 300_000,
            "received_fen": 250_000,
            "received_on": "2024-04-08",
        },
    )
    assert short.json()["outcome"] == "unresolved"
    assert {d["kind"] for d in short.json()["differences"]} == {"paid_amount_differs", "short_paid"}
    assert short.json()["finding"]["rule"] == "M6.pay_report_unresolved"
    missing = await api.client.post(
        "/v1/me/pay-reports",
        headers=api.as_worker(worker),
        json={
            "platform_id": pid,
            "period_start": "2024-05-01",
            "period_end": "2024-05-31",
            "expected_fen": 300_000,
            "received_fen": 0,
        },
    )
    assert {d["kind"] for d in missing.json()["differences"]} == {"missing_statement", "short_paid"}
    mine = await api.client.get("/v1/statements", headers=api.as_worker(worker))
    assert [s["line_id"] for s in mine.json()["items"]] == ["m3"]
    assert (await api.client.get("/v1/statements", headers=api.as_worker(new_worker()))).json()["items"] == []


async def test_the_openapi_examples_of_the_batch_formats_are_accepted(api):
    doc = (await api.client.get("/openapi.json")).json()
    pid = new_platform()
    for path in ("/v1/statements/batches", "/v1/sessions/batches"):
        content = doc["paths"][path]["post"]["requestBody"]["content"]
        for media_type in ("application/x-ndjson", "text/csv"):
            example = content[media_type]["example"]
            r = await api.client.post(
                path, content=example.encode(), headers={**api.as_platform(pid), "Content-Type": media_type}
            )
            assert r.status_code == 201, r.text
            assert r.json()["rejected"] == 0 and r.json()["accepted"] + r.json()["duplicates"] == len(
                example.strip().splitlines()
            ) - (1 if media_type == "text/csv" else 0), r.json()
    example = doc["components"]["schemas"]["StatementIn"]["examples"][0]
    r = await api.client.post("/v1/statements", headers=api.as_platform(new_platform()), json=example)
    assert r.status_code == 201, r.text


async def test_accepted_lines_are_published_in_chunks_with_their_line_ids(api, feed):
    pid, worker = new_platform(), new_worker()
    contract = await feed.signed(worker_id=worker, platform_id=pid)
    await engagement_known(api, contract)
    lines = [
        statement(
            f"m{i}",
            contract,
            worker,
            period_start=f"2024-{i:02d}-01",
            period_end=f"2024-{i:02d}-28",
            due_date=f"2024-{i:02d}-28",
            paid_on=f"2024-{i:02d}-28",
        )
        for i in range(1, 13)
    ]
    r = await api.client.post(
        "/v1/statements/batches",
        content=jsonl(lines),
        headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"},
    )
    assert r.json()["accepted"] == 12
    events = await fetch(
        api.url,
        "select data from outbox where type = 'wages.statements.accepted.v1' and data ->> 'batch_id' = :b",
        b=r.json()["batch_id"],
    )
    assert len(events) == 1
    assert [line["line_id"] for line in events[0]["data"]["lines"]] == [f"m{i}" for i in range(1, 13)]
    assert events[0]["data"]["lines"][0]["occupation"] == "food_delivery"
    # written as JSON data directly (record_data): it must be exactly the published event's shape
    accepted = StatementsAccepted.model_validate(events[0]["data"])
    assert accepted.lines[0].model_dump(mode="json") == events[0]["data"]["lines"][0]


async def test_the_readme_examples_are_accepted(api):
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "services" / "wages" / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"<!-- example: (\w+) (\S+) -->\n```\w+\n(.*?)```", readme, flags=re.S)
    assert len(examples) == 4
    pid = new_platform()
    for kind, media_type, body in examples:
        r = await api.client.post(
            f"/v1/{kind}/batches", content=body.encode(), headers={**api.as_platform(pid), "Content-Type": media_type}
        )
        assert r.status_code == 201, r.text
        assert r.json()["rejected"] == 0 and r.json()["accepted"] + r.json()["duplicates"] > 0, r.json()


async def test_the_late_share_warning_counts_a_month_uploaded_at_the_same_time(api, feed):
    """March's statements in one upload and April's (half paid late) in another, side by side: each
    counted without the other's uncommitted month, and April's rise was never seen."""
    from newform_wages.intake import RawLine
    from newform_wages.statements import service as statements_service

    pid = new_platform()
    pairs = []
    for _ in range(4):
        worker = new_worker()
        pairs.append((await feed.signed(worker_id=worker, platform_id=pid), worker))
    for contract, _ in pairs:
        await engagement_known(api, contract)

    async def march_uploads(session):
        return await statements_service.intake_statements(
            session, pid, [RawLine(i + 1, statement(f"m-{i}", c, w)) for i, (c, w) in enumerate(pairs)], "json"
        )

    def april_uploads():
        april = [
            statement(
                f"a-{i}",
                c,
                w,
                period_start="2024-04-01",
                period_end="2024-04-30",
                due_date="2024-05-10",
                paid_on="2024-05-20" if i < 2 else "2024-05-08",
            )
            for i, (c, w) in enumerate(pairs)
        ]
        return api.client.post(
            "/v1/statements/batches",
            content=jsonl(april),
            headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"},
        )

    _, april = await kit.while_open(api, march_uploads, april_uploads)
    assert april.json()["accepted"] == 4, april.text
    found = await fetch(
        api.url,
        "select subject_id from findings where platform_id = :p and rule = 'M6.early_warning_late_share_rising'",
        p=pid,
    )
    assert [f["subject_id"] for f in found] == [f"{pid}:2024-04"]


async def test_a_rising_share_of_late_pay_is_an_early_warning_the_platform_can_read(api, feed):
    pid = new_platform()
    pairs = []
    for _ in range(4):
        worker = new_worker()
        pairs.append((await feed.signed(worker_id=worker, platform_id=pid), worker))
    for contract, _ in pairs:
        await engagement_known(api, contract)
    march = [statement(f"m-{i}", c, w) for i, (c, w) in enumerate(pairs)]
    april = [
        statement(
            f"a-{i}",
            c,
            w,
            period_start="2024-04-01",
            period_end="2024-04-30",
            due_date="2024-05-10",
            paid_on="2024-05-20" if i < 2 else "2024-05-08",
        )
        for i, (c, w) in enumerate(pairs)
    ]
    r = await api.client.post(
        "/v1/statements/batches",
        content=jsonl(march + april),
        headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"},
    )
    assert r.json()["accepted"] == 8, r.text
    found = await fetch(
        api.url,
        "select subject_id, evidence from findings where platform_id = :p "
        "and rule = 'M6.early_warning_late_share_rising'",
        p=pid,
    )
    assert [f["subject_id"] for f in found] == [f"{pid}:2024-04"]
    assert (found[0]["evidence"]["late"], found[0]["evidence"]["statements"]) == (2, 4)
    warnings = await api.client.get(f"/v1/platforms/{pid}/early-warnings", headers=api.as_platform(pid))
    assert warnings.status_code == 200, warnings.text
    assert (
        await api.client.get(f"/v1/platforms/{pid}/early-warnings", headers=api.as_platform(new_platform()))
    ).status_code == 403


async def test_an_unreadable_json_line_is_its_own_error(api, feed):
    pid, worker = new_platform(), new_worker()
    body = jsonl([statement("good", "ct_later", worker)]) + '{"line_id": "broken", \n[1, 2]\n'
    r = await api.client.post(
        "/v1/statements/batches", content=body, headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["accepted"], r.json()["rejected"]) == (1, 2)
    assert [e["line"] for e in r.json()["errors"]] == [2, 3]
    assert "JSON" in r.json()["errors"][0]["message"]


async def test_a_statement_kept_pending_while_its_engagement_is_being_stored_is_still_judged(api):
    """The upload and the consumer race: neither commits first unseen (advisory locks per contract)."""
    import asyncio
    from datetime import UTC, datetime

    from newform_common.db import Database
    from newform_common.events import Envelope
    from newform_contracts.events import ContractDrafted, ContractSigned, InsuranceFlags
    from newform_wages import handlers
    from newform_wages.intake import RawLine
    from newform_wages.statements import service as statements_service

    pid, worker = new_platform(), new_worker()
    contract = "ct_race" + pid
    common = dict(
        contract_id=contract, worker_id=worker, platform_id=pid, enterprise_id=pid, engagement_type="labor_contract"
    )
    envelopes = [
        Envelope.of(e, source="/newform/contracts")
        for e in (
            ContractDrafted(
                **common,
                part_time=False,
                occupation="food_delivery",
                district="chengdong",
                start_date=date(2024, 1, 1),
                end_date=None,
                pay_period="month",
                insurance=InsuranceFlags(work_injury=True, occupational_injury=False, accident=True),
                drafted_at=datetime.now(UTC),
            ),
            ContractSigned(**common, at=datetime.now(UTC), document_sha256="0" * 64, signed_by=["worker"]),
        )
    ]
    db = Database(api.url, service="wages")
    try:
        async with db.transaction() as upload:
            batch = await statements_service.intake_statements(
                upload,
                pid,
                [
                    RawLine(
                        1, statement("race", contract, worker, base_fen=100_000, gross_fen=100_000, paid_fen=100_000)
                    )
                ],
                "json",
            )
            assert batch.pending == 1

            async def consume():
                async with db.transaction() as consumer:
                    await handlers.on_contracts_events(consumer, envelopes)

            storing = asyncio.create_task(consume())
            await asyncio.sleep(1.0)
            assert not storing.done()  # it waits for the upload's commit instead of missing its statement
        await asyncio.wait_for(storing, timeout=30)
    finally:
        await db.dispose()
    assert (
        await scalar(api.url, "select status from statements where line_id = 'race' and platform_id = :p", p=pid)
        == "judged"
    )


async def test_two_platforms_uploading_one_workers_day_side_by_side_are_judged_on_the_sum(api):
    """Each upload judges the day on every platform's stored sessions: side by side, each missed the
    other's uncommitted sessions, 6 h + 6 h looked like 6 h twice, and the day's finding never came.
    The same for a platform's own overlapping sessions sent in two uploads at once: both were stored."""
    from newform_wages.intake import RawLine
    from newform_wages.sessions import service as sessions_service

    worker, p1, p2 = new_worker(), new_platform(), new_platform()
    day = "2024-03-11"

    async def p1_uploads(session):
        line = session_line("m", worker, f"{day}T06:00:00+08:00", f"{day}T12:00:00+08:00")
        return await sessions_service.intake_sessions(session, p1, [RawLine(1, line)], "json")

    def p2_uploads():
        return api.client.post(
            "/v1/sessions/batches",
            headers={**api.as_platform(p2), "Content-Type": "application/x-ndjson"},
            content=jsonl([session_line("e", worker, f"{day}T13:00:00+08:00", f"{day}T19:00:00+08:00")]),
        )

    _, second = await kit.while_open(api, p1_uploads, p2_uploads)
    assert second.status_code == 201 and second.json()["accepted"] == 1, second.text
    found = await fetch(
        api.url, "select platform_id, evidence from findings where rule = 'M7.daily_hours' and worker_id = :w", w=worker
    )
    assert [f["evidence"].get("total_minutes") for f in found if f["platform_id"] is None] == [720]

    def p1_overlaps():
        return api.client.post(
            "/v1/sessions/batches",
            headers={**api.as_platform(p1), "Content-Type": "application/x-ndjson"},
            content=jsonl([session_line("n2", worker, "2024-03-12T08:30:00+08:00", "2024-03-12T09:30:00+08:00")]),
        )

    async def p1_first(session):
        line = session_line("n1", worker, "2024-03-12T08:00:00+08:00", "2024-03-12T09:00:00+08:00")
        return await sessions_service.intake_sessions(session, p1, [RawLine(1, line)], "json")

    _, overlapping = await kit.while_open(api, p1_first, p1_overlaps)
    assert overlapping.json()["accepted"] == 0 and "overlaps" in overlapping.json()["errors"][0]["message"]


async def test_a_quota_day_uploaded_in_two_parts_side_by_side_is_assessed_on_both(api):
    """Each upload assesses the quota over every worker of the post that day: side by side, each saw only
    its own workers, and the last assessment published (the gateway's quota result) counted half."""
    from newform_wages.intake import RawLine
    from newform_wages.sessions import service as sessions_service

    pid, day = new_platform(), "2024-03-13"
    r = await api.client.post(
        "/v1/quotas",
        headers=api.as_platform(pid),
        json={"post": "rider", "orders_per_day": 40, "effective_from": "2024-01-01"},
    )
    assert r.status_code == 201, r.text

    def rider(line_id: str) -> dict:
        return session_line(
            line_id, new_worker(), f"{day}T09:00:00+08:00", f"{day}T13:00:00+08:00", post="rider", orders_completed=25
        )

    async def first_part(session):
        return await sessions_service.intake_sessions(session, pid, [RawLine(1, rider("r1"))], "json")

    def second_part():
        return api.client.post(
            "/v1/sessions/batches",
            content=jsonl([rider("r2")]),
            headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"},
        )

    _, second = await kit.while_open(api, first_part, second_part)
    assert second.status_code == 201 and second.json()["accepted"] == 1, second.text
    assert (
        await scalar(
            api.url,
            "select max((data ->> 'workers')::int) from outbox where type = 'wages.quota.assessed.v1' and key = :p",
            p=pid,
        )
        == 2
    )


async def test_a_statement_uploaded_while_its_engagement_is_being_stored_is_judged_at_once(api):
    """The other order of the race above: the consumer's transaction is open when the upload looks for the
    engagement; the upload waits for it (shared lock) and judges the statement instead of keeping it
    pending for an engagement that has, by then, been stored."""
    from datetime import UTC, datetime

    from newform_common.events import Envelope
    from newform_contracts.events import ContractDrafted, ContractSigned, InsuranceFlags
    from newform_wages import handlers

    pid, worker = new_platform(), new_worker()
    contract = "ct_race2" + pid
    common = dict(
        contract_id=contract, worker_id=worker, platform_id=pid, enterprise_id=pid, engagement_type="labor_contract"
    )
    envelopes = [
        Envelope.of(e, source="/newform/contracts")
        for e in (
            ContractDrafted(
                **common,
                part_time=False,
                occupation="food_delivery",
                district="chengdong",
                start_date=date(2024, 1, 1),
                end_date=None,
                pay_period="month",
                insurance=InsuranceFlags(work_injury=True, occupational_injury=False, accident=True),
                drafted_at=datetime.now(UTC),
            ),
            ContractSigned(**common, at=datetime.now(UTC), document_sha256="0" * 64, signed_by=["worker"]),
        )
    ]

    async def consumes(session):
        await handlers.on_contracts_events(session, envelopes)

    def uploads():
        return api.client.post(
            "/v1/statements/batches",
            content=jsonl(
                [statement("race2", contract, worker, base_fen=100_000, gross_fen=100_000, paid_fen=100_000)]
            ),
            headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"},
        )

    _, uploaded = await kit.while_open(api, consumes, uploads)
    assert uploaded.status_code == 201 and uploaded.json()["pending"] == 0, uploaded.text
    assert (
        await scalar(api.url, "select status from statements where line_id = 'race2' and platform_id = :p", p=pid)
        == "judged"
    )


async def test_a_session_batch_resent_while_the_first_upload_is_open_counts_its_lines_as_duplicates(api):
    """A retry racing the first upload (the client timed out): it waits for the first (the worker's lock),
    and its lines are the same lines already stored — duplicates, not overlaps of themselves."""
    from newform_wages.intake import RawLine
    from newform_wages.sessions import service as sessions_service

    pid, worker = new_platform(), new_worker()
    line = session_line("once", worker, "2024-03-14T08:00:00+08:00", "2024-03-14T09:00:00+08:00")

    async def uploads(session):
        return await sessions_service.intake_sessions(session, pid, [RawLine(1, line)], "json")

    def resends():
        return api.client.post(
            "/v1/sessions/batches",
            content=jsonl([line]),
            headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"},
        )

    first, second = await kit.while_open(api, uploads, resends)
    assert first.accepted == 1
    assert (second.json()["accepted"], second.json()["duplicates"], second.json()["rejected"]) == (0, 1, 0)


async def test_lines_that_are_json_only_when_joined_are_each_their_own_error(api):
    """A batch is validated in one call when every line is JSON on its own; two broken halves that would
    join into good statements are still two bad lines."""
    pid, worker = new_platform(), new_worker()
    first = json.dumps({"contract_id": "ct_1", **statement("half-a", "ct_1", worker)})
    second = json.dumps(statement("half-b", "ct_2", worker))
    split = first.index('"ct_1') + 4
    body = first[:split] + "\n" + first[split:] + ", " + second + "\n"
    assert len(json.loads("[" + body.replace("\n", ",", 1).strip() + "]")) == 2  # joined, they would pass
    r = await api.client.post(
        "/v1/statements/batches", content=body, headers={**api.as_platform(pid), "Content-Type": "application/x-ndjson"}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["accepted"], r.json()["rejected"]) == (0, 2)
    assert [e["line"] for e in r.json()["errors"]] == [1, 2]


async def test_a_session_across_midnight_counts_on_each_day_by_its_time_there(api):
    """22:00–06:00 is 2 h on Friday and 6 h on Saturday (a rest day's share is rest-day work, W-9/W-10)."""
    pid, worker = new_platform(), new_worker()
    r = await api.client.post(
        "/v1/sessions",
        headers=api.as_platform(pid),
        json=session_line("night", worker, "2025-06-06T22:00:00+08:00", "2025-06-07T06:00:00+08:00"),
    )
    assert r.status_code == 201, r.text
    hours = (
        await api.client.get(f"/v1/workers/{worker}/hours", params={"month": "2025-06"}, headers=api.as_worker(worker))
    ).json()
    assert [(d["work_date"], d["minutes"]) for d in hours["days"]] == [("2025-06-06", 120), ("2025-06-07", 360)]
    assert hours["total_minutes"] == 480
    # the rest rule sees one stretch of 8 h, on the day it began
    assert await rules_of(api, f"{worker}:2025-06-06") == ["M7.rest_break", "M7.rest_break"]


async def test_a_period_without_statements_is_arrears_only_under_a_full_time_labour_contract(api, feed):
    """A work agreement paid by the order owes nothing for a week nobody worked: no statement is no debt."""
    pid, worker = new_platform(), new_worker()
    contract = await feed.signed(
        worker_id=worker, platform_id=pid, engagement_type="work_agreement", pay_period="week", start=date(2025, 3, 3)
    )
    await engagement_known(api, contract)
    from newform_common.db import Database
    from newform_common.deadlines import fire_due

    db = Database(api.url, service="wages")
    try:
        for _ in range(5):  # the first weeks' clocks, each starting the next
            await fire_due(
                db,
                {"wages.period_due": DEADLINE_HANDLERS["wages.period_due"]},
                now=end_of_business_day(date(2025, 4, 1)),
            )
    finally:
        await db.dispose()
    assert (
        await scalar(
            api.url,
            "select count(*) from deadlines where kind = 'wages.period_due' and status = "
            "'fired' and subject_id like :s",
            s=f"{contract}:%",
        )
        >= 3
    )
    assert (
        await scalar(
            api.url,
            "select count(*) from findings where rule = 'M6.wage_arrears' and evidence ->> 'contract_id' = :c",
            c=contract,
        )
        == 0
    )


async def test_wages_are_due_at_once_when_the_contract_is_terminated(api, feed):
    """工资支付暂行规定 art. 9: ended on 2025-06-20, June's pay (agreed for 07-15) is due that day."""
    from datetime import datetime, timezone

    from newform_common import clock
    from newform_common.db import Database
    from newform_common.deadlines import fire_due

    shanghai = timezone(timedelta(hours=8))
    pid, worker = new_platform(), new_worker()
    contract = await feed.signed(
        worker_id=worker,
        platform_id=pid,
        start=date(2025, 5, 1),
        pay_schedule={"period": "month", "day_of_month": 15, "month_offset": 1},
    )
    await engagement_known(api, contract)
    with clock.frozen_at(datetime(2025, 6, 20, 9, tzinfo=shanghai)):
        r = await api.client.post(
            "/v1/statements",
            headers=api.as_platform(pid),
            json=statement(
                "june",
                contract,
                worker,
                period_start="2025-06-01",
                period_end="2025-06-20",
                due_date=None,
                paid_fen=0,
                paid_on=None,
            ),
        )
    assert r.status_code == 201 and r.json()["due_date"] == "2025-07-15", r.text
    await feed.terminated(
        contract_id=contract, worker_id=worker, platform_id=pid, at=datetime(2025, 6, 20, 18, tzinfo=shanghai)
    )
    await engagement_known(api, contract, status="terminated")
    shown = await api.client.get(f"/v1/statements/{r.json()['statement_id']}", headers=api.as_platform(pid))
    assert shown.json()["due_date"] == "2025-06-20"
    db = Database(api.url, service="wages")
    try:
        handlers = {k: DEADLINE_HANDLERS[k] for k in ("wages.statement_due", "wages.period_due")}
        for _ in range(5):
            await fire_due(db, handlers, now=datetime(2025, 6, 21, 0, 1, tzinfo=shanghai))
    finally:
        await db.dispose()
    found = await fetch(
        api.url,
        "select subject_id, evidence from findings where rule = 'M6.wage_arrears' and evidence ->> 'contract_id' = :c",
        c=contract,
    )
    # May (no statement: due on its agreed day, before the end) and June (the statement, due on the last day)
    assert {f["evidence"]["period_start"]: f["evidence"]["due_date"] for f in found} == {
        "2025-05-01": "2025-06-15",
        "2025-06-01": "2025-06-20",
    }
    # June's period clock ran too (due on the last day, its statement judged by its own clock), none after it
    june = await fetch(
        api.url,
        "select status, data from deadlines where kind = 'wages.period_due' and subject_id = :s",
        s=f"{contract}:2025-06-01",
    )
    assert [(c["status"], c["data"]["period_end"], c["data"]["due_date"]) for c in june] == [
        ("fired", "2025-06-20", "2025-06-20")
    ]
    assert (
        await scalar(
            api.url,
            "select count(*) from deadlines where kind = 'wages.period_due' and status = "
            "'pending' and subject_id like :s",
            s=f"{contract}:%",
        )
        == 0
    )
