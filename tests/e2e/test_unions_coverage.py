"""Union coverage (M17) at the gateway, through real Kafka: contracts' registrations (and a cancelled
account) and unions' memberships — joining, a transfer from one platform's union to another's, leaving —
become members over registered workers per district and per platform, counts only; each total row is the
sum of its rows; the scorecards show each platform's row; a district government sees its district's
workers only, a platform its own figure only; the figures survive `rebuild` (the read models replayed
from the topics equal the live ones)."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from newform_common.testing import eventually, resident_id, running_service, unique_name, worker_id_of
from newform_contracts.events import AccountRestricted
from newform_gateway.main import create_app
from newform_gateway.rebuild import compare, rebuild
from newform_unions import events as ev

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics, scalar


def _membership(worker_id: str, union_id: str, platform_id: str) -> dict:
    return dict(
        membership_id=f"mem_{uuid.uuid4().hex[:10]}",
        union_id=union_id,
        worker_id=worker_id,
        platform_id=platform_id,
        at=datetime.now(UTC),
    )


def _joined(facts: dict, transfer_from: str | None = None) -> list:
    return [
        ev.MembershipApplied(**facts, status="applied", transfer_from=transfer_from),
        ev.MembershipAccepted(**facts, status="active", joined_on=facts["at"].date(), transfer_from=transfer_from),
    ]


def _ended(facts: dict, status: str) -> ev.MembershipEnded:
    return ev.MembershipEnded(**facts | {"status": status}, ended_on=facts["at"].date(), reason=status)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _figures(body: dict) -> dict:
    rows = {r["key"]: (r["members"], r["registered_workers"], r["coverage_percent"]) for r in body["rows"]}
    total = body["total"]
    return {**rows, "合计": (total["members"], total["registered_workers"], total["coverage_percent"])}


async def test_coverage_per_district_and_platform_scoped_by_caller_and_rebuilt(new_database, kafka, tokens):
    prefix = unique_name("uncov").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "unions", "gateway"))
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    a, b = "plt-" + secrets.token_hex(3), "plt-" + secrets.token_hex(3)
    union_a, union_b = f"un-{a}", f"un-{b}"
    w = {n: worker_id_of(resident_id()) for n in range(1, 7)}
    async with running_service(create_app, settings, tokens) as gateway:
        contracts = EventFeed(kafka.bootstrap_servers, prefix, source="contracts")
        unions = EventFeed(kafka.bootstrap_servers, prefix, source="unions")
        # registered workers (contracts' events): w1, w2 on A in 城西; w3 on A then B, 城东; w4 on B, 城东;
        # w5 on both A and B, 城西 (one person, two platforms); w6 is a member registered nowhere
        await contracts.worker(w[1], a, district="chengxi")
        await contracts.worker(w[2], a, district="chengxi")
        await contracts.worker(w[3], a, district="chengdong")
        await contracts.worker(w[4], b, district="chengdong")
        await contracts.worker(w[5], a, district="chengxi")
        await contracts.worker(w[5], b, district="chengxi")
        # w3 moves from A to B: A cancels the account (no longer registered there), B registers them
        await contracts.send(
            AccountRestricted(
                restriction_id=f"rs_{uuid.uuid4().hex[:8]}",
                worker_id=w[3],
                platform_id=a,
                action="cancel",
                reason_code="worker_request",
                reason_listed=True,
                notice_days=0,
                effective_at=datetime.now(UTC),
            )
        )
        await contracts.worker(w[3], b, district="chengdong")
        # memberships (unions' events): w1, w5 join A's union; w2 joins and leaves; w4 joins B's union;
        # w3 joins A's union, then transfers to B's (the old one ends, the new one is active); w6 joins too
        m3 = _membership(w[3], union_a, a)
        m3b = _membership(w[3], union_b, b)
        m2 = _membership(w[2], union_a, a)
        await unions.send(
            *_joined(_membership(w[1], union_a, a)),
            *_joined(_membership(w[5], union_a, a)),
            *_joined(m2),
            _ended(m2, "left"),
            *_joined(_membership(w[4], union_b, b)),
            *_joined(m3),
            ev.MembershipApplied(**m3b, status="applied", transfer_from=m3["membership_id"]),
            _ended(m3, "transferred"),
            ev.MembershipAccepted(
                **m3b, status="active", joined_on=m3b["at"].date(), transfer_from=m3["membership_id"]
            ),
            *_joined(_membership(w[6], union_b, b)),
        )
        # an older-shaped membership event without the worker's id: kept, counted for no registered worker
        await unions.untyped(
            "unions.membership.accepted.v1",
            {"membership_id": "mem_old", "union_id": union_a, "platform_id": a, "status": "active", "at": _now()},
            key="mem_old",
        )

        async def coverage(by: str, headers: dict) -> dict:
            answer = await gateway.client.get("/v1/unions/coverage", params={"by": by}, headers=headers)
            assert answer.status_code == 200, answer.text
            return answer.json()

        # per district: each person once, in their residence district; w6 (registered nowhere) is outside
        expected_districts = {"chengxi": (2, 3, 66), "chengdong": (2, 2, 100), "合计": (4, 5, 80)}

        async def districts_settled():
            body = await coverage("district", gateway.regulator)
            return body if _figures(body) == expected_districts else None

        body = await eventually(districts_settled)
        assert await eventually(
            lambda: scalar(url, "select worker_id is null from unions_memberships where membership_id = 'mem_old'")
        )
        assert body["scope"] == "city" and {r["name"] for r in body["rows"]} == {"城西区", "城东区"}
        # per platform: A lost w3 (cancelled) and w2 (left the union); w5 counts on both platforms
        by_platform = await coverage("platform", gateway.regulator)
        assert _figures(by_platform) == {a: (2, 3, 66), b: (3, 3, 100), "合计": (5, 6, 83)}
        assert all(
            sum(r[k] for r in body["rows"]) == body["total"][k]
            for body in (body, by_platform)
            for k in ("members", "registered_workers")
        )
        assert w[1] not in str(body) + str(by_platform)  # counted, never listed

        # the scorecards' democratic-consultation column: each platform's own row of this figure (A: w1, w5
        # among w1, w2, w5 — not the members who joined through A, w1, w5 and the older-shaped one: 3)
        for pid, (m, r, pct) in ((a, (2, 3, 66)), (b, (3, 3, 100))):
            card = (await gateway.client.get(f"/v1/platforms/{pid}/scorecard", headers=gateway.regulator)).json()
            (column,) = [p for p in card["principles"] if p["principle"] == "representation"]
            assert column["unions"] == {
                "members": m,
                "registered_workers": r,
                "coverage_percent": pct,
                "collective_contracts_in_force": 0,
            }

        # a district government: its district's workers only, by district and by platform
        chengxi = gateway.department("county", district="chengxi")
        own = await coverage("district", chengxi)
        assert own["scope"] == "district:chengxi"
        assert _figures(own) == {"chengxi": (2, 3, 66), "合计": (2, 3, 66)}
        assert _figures(await coverage("platform", chengxi)) == {a: (2, 3, 66), b: (1, 1, 100), "合计": (3, 4, 75)}
        # a city department (the union department) sees the city
        assert _figures(await coverage("district", gateway.department("union"))) == expected_districts

        # a platform: its own figure only, never another's, and not per district
        platform_b = await coverage("platform", gateway.as_platform(b))
        assert platform_b["scope"] == f"platform:{b}"
        assert _figures(platform_b) == {b: (3, 3, 100), "合计": (3, 3, 100)}
        assert _figures(await coverage("platform", gateway.as_platform(a))) == {a: (2, 3, 66), "合计": (2, 3, 66)}
        refused = await gateway.client.get("/v1/unions/coverage?by=district", headers=gateway.as_platform(a))
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
        worker = await gateway.client.get("/v1/unions/coverage", headers=gateway.as_worker(w[1]))
        assert worker.status_code == 403
        bad = await gateway.client.get("/v1/unions/coverage?by=county", headers=gateway.regulator)
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        assert (await gateway.client.get("/v1/unions/coverage")).status_code == 401

        # the page, in Chinese: both tables with their total rows, no worker listed
        gateway.client.cookies.set("newform_token", tokens.token("regulator", subject="inspector-1"))
        page = await gateway.client.get("/unions")
        assert page.status_code == 200
        for words in ("工会覆盖（按区县）", "区县", "会员数", "登记劳动者数", "覆盖率", "城西区", "城东区", "合计"):
            assert words in page.text
        assert "66%" in page.text and "80%" in page.text and "83%" in page.text
        assert not any(worker_id in page.text for worker_id in w.values())
        platforms_page = await gateway.client.get("/platforms")
        assert "工会覆盖（会员数/登记劳动者数）: 2/3 (66%)" in platforms_page.text
        assert "工会覆盖（会员数/登记劳动者数）: 3/3 (100%)" in platforms_page.text
        # a district government's page: its district's figures
        gateway.client.cookies.set("newform_token", tokens.token("department", department="county", district="chengxi"))
        county_page = await gateway.client.get("/unions")
        assert county_page.status_code == 200 and "城西区" in county_page.text and "城东区" not in county_page.text

        # rebuild: the memberships (with their workers) and the registrations replayed from the topics
        target = new_database("gwuncov")
        await rebuild(gateway.settings, into=target)
        assert await compare(gateway.url, target) == {}
