"""Union coverage (M17) at the gateway when a cancellation is lifted (M5: the worker's appeal upheld, a
wrongful cancellation undone), through real Kafka: the reinstated worker counts again as a registered
worker and, being a member, as a member — per district, per platform, in the scorecards; the lift of a
mere restriction changes nothing (nor does it undo a cancellation of the same registration); a lift that
arrives before its cancellation ends the same as in order; a producer's retry of a lift changes nothing;
a rebuild from the topics gives the same read models and the same figures."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from newform_common.testing import eventually, resident_id, running_service, unique_name, worker_id_of
from newform_contracts.events import AccountRestricted, RestrictionLifted
from newform_gateway.main import create_app
from newform_gateway.rebuild import compare, rebuild
from newform_unions import events as ev

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics, scalar


def _restricted(worker_id: str, platform_id: str, action: str) -> AccountRestricted:
    return AccountRestricted(
        restriction_id=f"rs_{uuid.uuid4().hex[:8]}",
        worker_id=worker_id,
        platform_id=platform_id,
        action=action,
        reason_code="fraud",
        reason_listed=True,
        notice_days=3,
        effective_at=datetime.now(UTC),
    )


def _lifted(restriction: AccountRestricted, by: str = "regulator") -> RestrictionLifted:
    return RestrictionLifted(
        restriction_id=restriction.restriction_id,
        worker_id=restriction.worker_id,
        platform_id=restriction.platform_id,
        lifted_by_role=by,
        lifted_at=datetime.now(UTC),
    )


def _joined(worker_id: str, union_id: str, platform_id: str) -> list:
    facts = dict(
        membership_id=f"mem_{uuid.uuid4().hex[:10]}",
        union_id=union_id,
        worker_id=worker_id,
        platform_id=platform_id,
        at=datetime.now(UTC),
    )
    return [
        ev.MembershipApplied(**facts, status="applied", transfer_from=None),
        ev.MembershipAccepted(**facts, status="active", joined_on=facts["at"].date(), transfer_from=None),
    ]


def _figures(body: dict) -> dict:
    rows = {r["key"]: (r["members"], r["registered_workers"], r["coverage_percent"]) for r in body["rows"]}
    total = body["total"]
    return {**rows, "合计": (total["members"], total["registered_workers"], total["coverage_percent"])}


async def _coverage(gateway, by: str) -> dict:
    answer = await gateway.client.get("/v1/unions/coverage", params={"by": by}, headers=gateway.regulator)
    assert answer.status_code == 200, answer.text
    return _figures(answer.json())


async def _scorecard_unions(gateway, platform_id: str) -> dict:
    card = await gateway.client.get(f"/v1/platforms/{platform_id}/scorecard", headers=gateway.regulator)
    assert card.status_code == 200, card.text
    (column,) = [p for p in card.json()["principles"] if p["principle"] == "representation"]
    return column["unions"]


async def _settled(gateway, districts: dict, platforms: dict) -> None:
    """Wait until both tables show these figures (rows and total)."""

    async def both():
        return await _coverage(gateway, "district") == districts and await _coverage(gateway, "platform") == platforms

    assert await eventually(both)


async def test_a_reinstated_worker_counts_again_per_district_platform_and_scorecard_and_after_rebuild(
    new_database, kafka, tokens
):
    prefix = unique_name("unrein").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "unions", "gateway"))
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    a, b = "plt-" + secrets.token_hex(3), "plt-" + secrets.token_hex(3)
    w = {n: worker_id_of(resident_id()) for n in range(1, 8)}
    async with running_service(create_app, settings, tokens) as gateway:
        contracts = EventFeed(kafka.bootstrap_servers, prefix, source="contracts")
        unions = EventFeed(kafka.bootstrap_servers, prefix, source="unions")
        # registrations: on A w1, w2, w5 (城西), w6 (城东); on B w3, w4 (城东), w7 (城西)
        for n, p, d in ((1, a, "chengxi"), (2, a, "chengxi"), (5, a, "chengxi"), (6, a, "chengdong")):
            await contracts.worker(w[n], p, district=d)
        for n, p, d in ((3, b, "chengdong"), (4, b, "chengdong"), (7, b, "chengxi")):
            await contracts.worker(w[n], p, district=d)
        # members: w1, w5, w6 of A's union, w3 of B's
        await unions.send(*_joined(w[1], f"un-{a}", a), *_joined(w[5], f"un-{a}", a), *_joined(w[6], f"un-{a}", a))
        await unions.send(*_joined(w[3], f"un-{b}", b))
        # A cancels w1 (to be reinstated) and w5 (stays cancelled); B restricts then cancels w3, restricts w4;
        # w7's cancellation and its lift reach the gateway the wrong way round (lift first)
        c1, c5 = _restricted(w[1], a, "cancel"), _restricted(w[5], a, "cancel")
        r3, c3, r4 = _restricted(w[3], b, "restrict"), _restricted(w[3], b, "cancel"), _restricted(w[4], b, "restrict")
        c7 = _restricted(w[7], b, "cancel")
        await contracts.send(c1, c5, r3, c3, r4, _lifted(c7), c7)
        assert await eventually(
            lambda: scalar(
                url,
                "select action = 'cancel' and lifted_at is not null from account_restrictions "
                "where restriction_id = :r",
                r=c7.restriction_id,
            )
        )

        # A: w2, w6 (member) = 1 of 2; B: w4 (restricted, still registered), w7 (lifted) = 0 of 2; per
        # district 城西 w2, w7, 城东 w4, w6 (member); w1, w5 (cancelled by A), w3 (cancelled by B) are out
        before_districts = {"chengxi": (0, 2, 0), "chengdong": (1, 2, 50), "合计": (1, 4, 25)}
        before_platforms = {a: (1, 2, 50), b: (0, 2, 0), "合计": (1, 4, 25)}
        await _settled(gateway, before_districts, before_platforms)
        assert await _scorecard_unions(gateway, a) == {
            "members": 1,
            "registered_workers": 2,
            "coverage_percent": 50,
            "collective_contracts_in_force": 0,
        }

        # B lifts w3's restriction and w4's: mere restrictions, nothing changes (w3 is still cancelled)
        await contracts.send(_lifted(r3, by="platform"), _lifted(r4, by="platform"))

        async def restrictions_lifted():
            return await scalar(
                url,
                "select count(*) = 2 from account_restrictions "
                "where restriction_id in (:x, :y) and lifted_at is not null",
                x=r3.restriction_id,
                y=r4.restriction_id,
            )

        assert await eventually(restrictions_lifted)
        assert await _coverage(gateway, "district") == before_districts
        assert await _coverage(gateway, "platform") == before_platforms

        # the regulator lifts w1's cancellation (the appeal upheld) and B lifts w3's: both count again, as
        # registered workers and as the members they still are
        lift_c1 = (await contracts.send(_lifted(c1)))[0]
        await contracts.send(_lifted(c3, by="platform"))
        after_districts = {"chengxi": (1, 3, 33), "chengdong": (2, 3, 66), "合计": (3, 6, 50)}
        after_platforms = {a: (2, 3, 66), b: (1, 3, 33), "合计": (3, 6, 50)}
        await _settled(gateway, after_districts, after_platforms)
        for pid, (m, r, pct) in ((a, (2, 3, 66)), (b, (1, 3, 33))):
            assert await _scorecard_unions(gateway, pid) == {
                "members": m,
                "registered_workers": r,
                "coverage_percent": pct,
                "collective_contracts_in_force": 0,
            }
        gateway.client.cookies.set("newform_token", tokens.token("regulator", subject="inspector-1"))
        platforms_page = await gateway.client.get("/platforms")
        assert "工会覆盖（会员数/登记劳动者数）: 2/3 (66%)" in platforms_page.text

        # the producer sends the lift again (a retry, a new event id): once logged, the figures are the same
        again = await contracts.again(lift_c1)
        assert await eventually(lambda: scalar(url, "select count(*) from event_log where event_id = :e", e=again.id))
        assert await _coverage(gateway, "district") == after_districts
        assert await _coverage(gateway, "platform") == after_platforms

        # rebuild: the read models replayed from the topics equal the live ones, and give the same figures
        target = new_database("gwunrein")
        await rebuild(gateway.settings, into=target)
        assert await compare(gateway.url, target) == {}
    quiet = unique_name("unreinr").replace("_", "")  # a gateway on the rebuilt database that consumes nothing
    rebuilt_settings = gateway_settings(quiet, target, kafka.bootstrap_servers, tokens.public_pem)
    async with running_service(create_app, rebuilt_settings, tokens) as rebuilt:
        assert await _coverage(rebuilt, "district") == after_districts
        assert await _coverage(rebuilt, "platform") == after_platforms
        assert (await _scorecard_unions(rebuilt, a))["registered_workers"] == 3
