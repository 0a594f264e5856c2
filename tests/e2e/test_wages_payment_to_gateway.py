"""Across services, through real Kafka: statements a platform reported unpaid and paid later through wages'
API (`POST /v1/statements/{id}/payments`) — the gateway's `GET /v1/wages/compliance` shows the amounts paid
and who was paid on time (in full by the due date; a payment after it is late, never on time), and its
figures stay the sums over the statement lines it holds."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from newform_common.policy import business_today
from newform_common.testing import TokenFactory, app_client, eventually, fetch, scalar, unique_name
from newform_common.testing import migrated_database as kit_migrated_database
from newform_gateway.main import create_app as create_gateway_app
from newform_wages.main import create_app as create_wages_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics
from ..kit.wages import PAY_FIGURES_FROM_LINES, new_platform, new_worker, statement, wages_settings_for


async def test_a_later_payment_shows_in_the_gateways_pay_compliance(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("e2ep").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "wages", "gateway"))
    wages_url = await kit_migrated_database(new_database, "wages")
    wages_settings = wages_settings_for(prefix, wages_url, kafka.bootstrap_servers, tokens.public_pem)
    gateway_url = await migrated_database(new_database)
    settings = gateway_settings(prefix, gateway_url, kafka.bootstrap_servers, tokens.public_pem)
    feed = EventFeed(kafka.bootstrap_servers, topics={"contracts": f"{prefix}-contracts.events"})
    pid, worker = new_platform(), new_worker()
    platform = tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)
    regulator = tokens.headers("regulator")
    today = business_today()
    due = today + timedelta(days=5)
    soon_month = (due - timedelta(days=10)).strftime("%Y-%m")

    wages_app = create_wages_app(wages_settings)
    async with app_client(wages_app) as wages, app_client(create_gateway_app(settings)) as gateway:
        await asyncio.wait_for(wages_app.state.consumers[0].started.wait(), timeout=120)
        contract = await feed.signed(worker_id=worker, platform_id=pid)  # chengdong, food_delivery

        async def engagement_known():
            known = "select count(*) from engagements where contract_id = :c and status = 'signed'"
            return await scalar(wages_url, known, c=contract) == 1

        await eventually(engagement_known, timeout=120)
        ids = {}
        for line in (
            # due in five days, nothing paid yet
            statement(
                "soon",
                contract,
                worker,
                period_start=(due - timedelta(days=20)).isoformat(),
                period_end=(due - timedelta(days=10)).isoformat(),
                due_date=due.isoformat(),
                normal_hours=80,
                paid_fen=0,
                paid_on=None,
            ),
            statement("owed", contract, worker, paid_fen=0, paid_on=None),  # March 2024, due 2024-04-10: arrears
        ):
            r = await wages.post("/v1/statements", headers=platform, json=line)
            assert r.status_code == 201, r.text
            ids[line["line_id"]] = r.json()["statement_id"]

        async def compliance(paid_fen: int):
            """The platform's rows once both months show `paid_fen` paid in all."""
            r = await gateway.get("/v1/wages/compliance", headers=regulator, params={"platform_id": pid})
            assert r.status_code == 200, r.text
            rows = r.json()
            return rows if len(rows) == 2 and sum(row["paid_fen"] for row in rows) == paid_fen else None

        unpaid = {r["month"]: r for r in await eventually(lambda: compliance(0), timeout=120)}
        assert (unpaid[soon_month]["paid_on_time"], unpaid["2024-03"]["paid_on_time"]) == (0, 0)
        assert unpaid["2024-03"]["with_breaches"] == 1  # the arrears

        for statement_id, paid_on in ((ids["soon"], today), (ids["owed"], date(2024, 5, 2))):
            r = await wages.post(
                f"/v1/statements/{statement_id}/payments",
                headers=platform,
                json={"paid_fen": 300_000, "paid_on": paid_on.isoformat()},
            )
            assert r.status_code == 200, r.text

        paid = await eventually(lambda: compliance(600_000), timeout=120)
        by_month = {r["month"]: r for r in paid}
        # paid in full by its due date: on time; paid after it: the amount shows, on time it is not
        assert (by_month[soon_month]["paid_fen"], by_month[soon_month]["paid_on_time"]) == (300_000, 1)
        assert (by_month["2024-03"]["paid_fen"], by_month["2024-03"]["paid_on_time"]) == (300_000, 0)
        assert by_month["2024-03"]["with_breaches"] == 1  # arrears that occurred stay arrears
        assert paid == [dict(r) for r in await fetch(gateway_url, PAY_FIGURES_FROM_LINES, p=pid)]
        lines = await fetch(
            gateway_url, "select line_id, paid_fen, paid_on from wage_statements where platform_id = :p", p=pid
        )
        assert {r["line_id"]: (r["paid_fen"], r["paid_on"]) for r in lines} == {
            "soon": (300_000, today),
            "owed": (300_000, date(2024, 5, 2)),
        }
