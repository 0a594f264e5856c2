"""Union coverage (M17) in the unions service when a cancellation is lifted (contracts'
`account.restriction_lifted`, M5: the worker's appeal upheld, a wrongful cancellation undone), through
Kafka: the reinstated worker counts again per platform and per district, and may join through the platform
again; the lift of a mere restriction changes nothing (nor does it undo a cancellation of the same
registration); a lift that arrives before its cancellation ends the same as in order; a producer's retry
of a lift changes nothing; a copy replayed from the topic into a new database ends in the same state.

This module has its own database (the fixture is per module), so the city-wide figures are this test's."""

from __future__ import annotations

import secrets

from newform_common.clock import now
from newform_common.kafka import ensure_topics
from newform_common.testing import (
    TEST_PII_SECRET,
    eventually,
    fetch,
    migrated_database,
    running_service,
    scalar,
    unique_name,
)
from newform_contracts.events import AccountRestricted, RestrictionLifted
from newform_unions.config import Settings
from newform_unions.main import create_app

from .helpers import platform, registered, union, worker


def _restricted(worker_id: str, platform_id: str, action: str) -> AccountRestricted:
    return AccountRestricted(
        restriction_id="rs_" + secrets.token_hex(4),
        worker_id=worker_id,
        platform_id=platform_id,
        action=action,
        reason_code="fraud",
        reason_listed=True,
        notice_days=3,
        effective_at=now(),
    )


def _lifted(restriction: AccountRestricted) -> RestrictionLifted:
    return RestrictionLifted(
        restriction_id=restriction.restriction_id,
        worker_id=restriction.worker_id,
        platform_id=restriction.platform_id,
        lifted_by_role="regulator",
        lifted_at=now(),
    )


async def _copied(url: str, restriction: AccountRestricted, *, lifted: bool) -> None:
    """Wait until the copy holds the restriction (its action) and, if `lifted`, its lift."""

    async def held():
        return await scalar(
            url,
            "select count(*) from registration_restrictions where restriction_id = :r and action = :a "
            "and (lifted_at is not null) = :l",
            r=restriction.restriction_id,
            a=restriction.action,
            l=lifted,
        )

    await eventually(held)


async def _figures(api) -> tuple[dict, dict]:
    platforms = await api.client.get("/v1/coverage", headers=api.regulator)
    districts = await api.client.get("/v1/coverage/districts", headers=api.regulator)
    assert platforms.status_code == 200 and districts.status_code == 200, platforms.text + districts.text
    return (
        {r["platform_id"]: (r["members"], r["registered_workers"], r["coverage_percent"]) for r in platforms.json()},
        {r["district"]: (r["members"], r["registered_workers"], r["coverage_percent"]) for r in districts.json()},
    )


async def _join(api, worker_id: str, union_id: str, platform_id: str):
    return await api.client.post(
        "/v1/memberships", headers=api.as_worker(worker_id), json={"union_id": union_id, "platform_id": platform_id}
    )


async def _accept(api, applied) -> None:
    assert applied.status_code == 201, applied.text
    membership_id = applied.json()["membership_id"]
    accepted = await api.client.post(
        f"/v1/memberships/{membership_id}/decision", headers=api.department("union"), json={"decision": "accept"}
    )
    assert accepted.status_code == 200, accepted.text


_STATE = (
    "select r.registration_id, r.worker_id, r.platform_id, r.active, "
    "(select string_agg(x.restriction_id || ':' || coalesce(x.action, '?') || ':' || (x.lifted_at is not null)::text,"
    " ',' order by x.restriction_id) from registration_restrictions x "
    " where x.worker_id = r.worker_id and x.platform_id = r.platform_id) as restrictions "
    "from worker_registrations r order by r.registration_id"
)


async def test_a_reinstated_worker_counts_again_and_a_replay_ends_the_same(unions, new_database, kafka, tokens):
    api = unions.api
    a, b = platform(), platform()
    union_a, union_b = await union(api, [a]), await union(api, [b])
    w = {n: worker() for n in range(1, 6)}
    # registrations: w1 on A (城西), w2 on B (城东), w3 on A (城东), w4 on B (城西), w5 on A (城西)
    for n, p, d in ((1, a, "chengxi"), (2, b, "chengdong"), (3, a, "chengdong"), (4, b, "chengxi"), (5, a, "chengxi")):
        await registered(unions, w[n], p, district=d)
    await _accept(api, await _join(api, w[1], union_a, a))  # w1 is a member

    # A cancels w1 and w5; B restricts then cancels w2; A restricts w3; w4's cancellation and its lift reach
    # the service the wrong way round (lift first)
    c1, c5 = _restricted(w[1], a, "cancel"), _restricted(w[5], a, "cancel")
    r2, c2, r3 = _restricted(w[2], b, "restrict"), _restricted(w[2], b, "cancel"), _restricted(w[3], a, "restrict")
    c4 = _restricted(w[4], b, "cancel")
    await unions.contracts.send(c1, c5, r2, c2, r3, _lifted(c4), c4)
    for restriction in (c1, c5, r2, c2, r3):
        await _copied(api.url, restriction, lifted=False)
    await _copied(api.url, c4, lifted=True)

    # A: w3 (restricted, still registered) = 0 of 1; B: w4 (its cancellation lifted) = 0 of 1; w1 (a member),
    # w5, w2 are out; w2 cannot join through B
    before = ({a: (0, 1, 0), b: (0, 1, 0)}, {"chengdong": (0, 1, 0), "chengxi": (0, 1, 0)})
    assert await _figures(api) == before
    refused = await _join(api, w[2], union_b, b)
    assert refused.status_code == 422 and refused.json()["rule"] == "M17.not_registered_with_platform"

    # B lifts w2's restriction, A w3's: mere restrictions, nothing changes (w2 is still cancelled)
    await unions.contracts.send(_lifted(r2), _lifted(r3))
    await _copied(api.url, r2, lifted=True)
    await _copied(api.url, r3, lifted=True)
    assert await _figures(api) == before
    assert (await _join(api, w[2], union_b, b)).status_code == 422

    # the regulator lifts w1's cancellation (the appeal upheld), B lifts w2's: both count again; w1 is still a
    # member, w2 may now join through B
    lift_c1 = (await unions.contracts.send(_lifted(c1)))[0]
    await unions.contracts.send(_lifted(c2))
    await _copied(api.url, c1, lifted=True)
    await _copied(api.url, c2, lifted=True)
    await _accept(api, await _join(api, w[2], union_b, b))
    # A: w1 (member), w3 = 1 of 2; B: w2 (member), w4 = 1 of 2; 城西 w1 (member), w4; 城东 w2 (member), w3
    after = ({a: (1, 2, 50), b: (1, 2, 50)}, {"chengdong": (1, 2, 50), "chengxi": (1, 2, 50)})
    assert await _figures(api) == after

    # the producer sends the lift again (a retry, a new event id): once consumed, nothing changes
    again = await unions.contracts.again(lift_c1)
    assert await eventually(lambda: scalar(api.url, "select count(*) from inbox where event_id = :e", e=again.id))
    assert await _figures(api) == after
    state = await fetch(api.url, _STATE)
    assert {s["worker_id"]: s["active"] for s in state} == {w[1]: True, w[2]: True, w[3]: True, w[4]: True, w[5]: False}

    # a replay: a second unions on a new database reads the same contracts topic from the start and ends
    # with the same copy (registrations and restrictions) and the same registered workers
    name = unique_name("unionsreplay")
    replay = Settings(
        database_url=await migrated_database(new_database, "unions"),
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=0.2,
        run_deadlines=False,
        service_name=name,
        pii_secret=TEST_PII_SECRET,
        contracts_topic=api.settings.contracts_topic,
    )
    await ensure_topics(kafka.bootstrap_servers, [replay.topic])
    async with running_service(create_app, replay, tokens) as copy:

        async def same_copy():
            return await fetch(copy.url, _STATE) == state

        assert await eventually(same_copy)
        platforms, districts = await _figures(copy)
        assert {p: r for p, (_, r, _) in platforms.items()} == {a: 2, b: 2}
        assert {d: r for d, (_, r, _) in districts.items()} == {"chengdong": 2, "chengxi": 2}
