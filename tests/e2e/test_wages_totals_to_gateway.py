"""Across services, through real Kafka: a platform's history of pay statements written through wages' API
(batches, a re-sent batch, a line kept pending and judged later) — the gateway's compliance figures and
its pay scorecard, read from the totals wages publishes per batch, equal the sums over the statement lines
the gateway holds."""

from __future__ import annotations

import asyncio
import calendar
import json

from newform_common.testing import TokenFactory, app_client, eventually, fetch, scalar, unique_name
from newform_common.testing import migrated_database as kit_migrated_database
from newform_gateway.main import create_app as create_gateway_app
from newform_wages.main import create_app as create_wages_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics
from ..kit.wages import PAY_FIGURES_FROM_LINES, new_platform, new_worker, statement, wages_settings_for

COMPLIANT_FROM_LINES = (
    "select count(*) filter (where status = 'judged' and minimum_wage_met and paid_fen >= net_due_fen "
    "and paid_on <= due_date and jsonb_array_length(rules_broken) = 0) || '/' || "
    "count(*) filter (where status = 'judged') from wage_statements where platform_id = :p"
)


def jsonl(lines) -> bytes:
    return ("\n".join(json.dumps(line) for line in lines) + "\n").encode()


def month(line_id: str, contract: str, worker: str, m: int, **kw) -> dict:
    """A lawful statement of month `m` of 2024 (paid two days before its due date) unless overridden."""
    line = {
        "period_start": f"2024-{m:02d}-01",
        "period_end": f"2024-{m:02d}-{calendar.monthrange(2024, m)[1]}",
        "due_date": f"2024-{m + 1:02d}-10",
        "paid_on": f"2024-{m + 1:02d}-08",
    }
    return statement(line_id, contract, worker, **{**line, **kw})


async def test_the_gateways_pay_figures_equal_the_sums_over_its_statement_lines(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("e2et").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "wages", "gateway"))
    wages_url = await kit_migrated_database(new_database, "wages")
    wages_settings = wages_settings_for(prefix, wages_url, kafka.bootstrap_servers, tokens.public_pem)
    gateway_url = await migrated_database(new_database)
    settings = gateway_settings(prefix, gateway_url, kafka.bootstrap_servers, tokens.public_pem)
    feed = EventFeed(kafka.bootstrap_servers, topics={"contracts": f"{prefix}-contracts.events"})
    pid = new_platform()
    w1, w2, w3 = new_worker(), new_worker(), new_worker()
    platform = {
        **tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid),
        "Content-Type": "application/x-ndjson",
    }
    regulator = tokens.headers("regulator")

    wages_app = create_wages_app(wages_settings)
    async with app_client(wages_app) as wages, app_client(create_gateway_app(settings)) as gateway:
        await asyncio.wait_for(wages_app.state.consumers[0].started.wait(), timeout=120)
        a = await feed.signed(worker_id=w1, platform_id=pid)  # chengdong, food_delivery
        b = await feed.signed(worker_id=w2, platform_id=pid, district="chengxi", occupation="courier")

        async def engagements_known():
            known = "select count(*) from engagements where contract_id in (:a, :b) and status = 'signed'"
            return await scalar(wages_url, known, a=a, b=b) == 2

        await eventually(engagements_known, timeout=120)

        async def upload(lines: list[dict]) -> dict:
            r = await wages.post("/v1/statements/batches", content=jsonl(lines), headers=platform)
            assert r.status_code == 201, r.text
            return r.json()

        first = [
            *(month(f"a-{m}", a, w1, m) for m in (1, 2, 3)),
            month("a-4", a, w1, 4, paid_on="2024-05-20"),  # paid late
            month("a-5", a, w1, 5, paid_fen=100_000),  # paid short: arrears
            month("b-3", b, w2, 3, base_fen=100_000, gross_fen=100_000, paid_fen=100_000),  # below the minimum
            month("b-4", b, w2, 4, deductions=[{"reason": "fine", "amount_fen": 5_000}]),  # an unlawful deduction
        ]
        assert (await upload(first))["accepted"] == 7
        assert (await upload(first[2:5]))["duplicates"] == 3  # re-sent: counted once
        mixed = await upload([first[0], month("a-6", a, w1, 6), month("b-5", b, w2, 5)])
        assert (mixed["accepted"], mixed["duplicates"]) == (2, 1)
        c = "ct_later" + pid  # an engagement wages learns of after its statements
        pending = await upload([month("c-5", c, w3, 5), month("c-6", c, w3, 6, paid_fen=0, paid_on=None)])
        assert pending["pending"] == 2
        await feed.signed(worker_id=w3, platform_id=pid, contract_id=c, district="chengxi", occupation="courier")

        async def all_judged_in_the_gateway():
            rows = (await gateway.get("/v1/wages/compliance", headers=regulator, params={"platform_id": pid})).json()
            done = sum(r["statements"] for r in rows) == 11 and sum(r["pending"] for r in rows) == 0
            lines = await scalar(
                gateway_url, "select count(*) from wage_statements where status = 'judged' and platform_id = :p", p=pid
            )
            return rows if done and lines == 11 else None

        compliance = await eventually(all_judged_in_the_gateway, timeout=120)
        from_lines = await fetch(gateway_url, PAY_FIGURES_FROM_LINES, p=pid)
        assert compliance == [dict(r) for r in from_lines]
        by_month = {r["month"]: r for r in compliance}
        assert by_month["2024-05"]["statements"] == 3 and by_month["2024-05"]["paid_on_time"] == 2
        assert by_month["2024-03"]["minimum_wage_met"] == 1 and by_month["2024-04"]["paid_on_time"] == 1
        one_month = (
            await gateway.get(
                "/v1/wages/compliance", headers=regulator, params={"platform_id": pid, "month": "2024-06"}
            )
        ).json()
        assert one_month == [by_month["2024-06"]]

        await feed.enterprise(pid, name="示例配送平台")

        async def scorecard():
            r = await gateway.get(f"/v1/platforms/{pid}", headers=regulator)
            return r.json() if r.status_code == 200 else None

        detail = await eventually(scorecard, timeout=60)
        pay = [p for p in detail["scorecard"]["principles"] if p["principle"] == "pay"][0]
        compliant = await scalar(gateway_url, COMPLIANT_FROM_LINES, p=pid)
        assert compliant == "6/11" and f"{compliant} statements compliant" in json.dumps(pay, ensure_ascii=False)
