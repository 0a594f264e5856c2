"""Union coverage (M17) in the unions service, by the one definition (RULES.md "Union coverage", the
gateway's figure): registered workers are people with an active registration (a cancelled account no
longer counts), members those of them with an active membership of any union (a transfer counts once,
a member registered nowhere is outside), a worker's district the residence of their latest active
registration, per platform the platform's registered workers and its members among them (人次).

This module has its own database (the fixture is per module), so the city-wide figures are this test's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newform_unions import rules

from .helpers import cancelled, platform, registered, union, worker


def at(minute: int) -> datetime:
    return datetime(2026, 3, 1, 8, 0, tzinfo=UTC) + timedelta(minutes=minute)


def test_the_pure_count_places_each_worker_once_and_counts_members_among_registered_workers():
    reg = rules.ActiveRegistration
    registrations = [
        reg("r1", "w1", "A", "chengxi", at(1)),
        reg("r2", "w2", "A", "chengxi", at(2)),
        reg("r5a", "w5", "A", "chengxi", at(3)),
        reg("r5b", "w5", "B", "chengdong", at(4)),  # w5's latest: chengdong
        reg("r4", "w4", "B", "chengdong", at(5)),
        reg("r8", "w8", "B", None, at(6)),  # named no district: 未注明
    ]
    members = {"w1", "w5", "w9"}  # w9 is a member with no active registration: outside the figure

    by_district = rules.union_coverage(registrations, members, "district")
    assert [(c.key, c.members, c.registered_workers, c.percent) for c in by_district] == [
        ("chengdong", 1, 2, 50),  # w4, w5 (member)
        ("chengxi", 1, 2, 50),  # w1 (member), w2
        (None, 0, 1, 0),  # w8
    ]
    by_platform = rules.union_coverage(registrations, members, "platform")
    assert [(c.key, c.members, c.registered_workers, c.percent) for c in by_platform] == [
        ("A", 2, 3, 66),  # w1, w2, w5: 2 × 100 // 3 = 66 (rounded down)
        ("B", 1, 3, 33),  # w4, w5, w8
    ]
    assert rules.union_coverage([], members, "platform") == []
    assert rules.coverage_percent(0, 0) is None


async def _join(api, worker_id: str, body: dict) -> str:
    applied = await api.client.post("/v1/memberships", headers=api.as_worker(worker_id), json=body)
    assert applied.status_code == 201, applied.text
    membership_id = applied.json()["membership_id"]
    accepted = await api.client.post(
        f"/v1/memberships/{membership_id}/decision", headers=api.department("union"), json={"decision": "accept"}
    )
    assert accepted.status_code == 200, accepted.text
    return membership_id


async def test_coverage_counts_active_registrations_and_members_of_any_union(unions):
    api = unions.api
    a, b = platform(), platform()
    union_a, union_b = await union(api, [a]), await union(api, [b])
    union_d = await union(api, [], kind="district", districts=["chengzhong"])
    w = {n: worker() for n in range(1, 8)}
    # registrations: w1, w2 on A (城西); w3 on A (城西); w4 on B (城东); w5 on A (城西) then B (城东);
    # w7 on A (城东) then B (城西), B then cancels w7; w6 registered nowhere
    for n, p, d in ((1, a, "chengxi"), (2, a, "chengxi"), (3, a, "chengxi"), (4, b, "chengdong")):
        await registered(unions, w[n], p, district=d)
    await registered(unions, w[5], a, district="chengxi")
    await registered(unions, w[5], b, district="chengdong")
    await registered(unions, w[7], a, district="chengdong")
    await registered(unions, w[7], b, district="chengxi")
    await cancelled(unions, w[7], b)

    # memberships: w1, w5 join A's union; w2 joins and leaves; w4 joins B's union; w6 the district union
    await _join(api, w[1], {"union_id": union_a, "platform_id": a})
    await _join(api, w[5], {"union_id": union_a, "platform_id": a})
    left = await _join(api, w[2], {"union_id": union_a, "platform_id": a})
    assert (await api.client.post(f"/v1/memberships/{left}/leave", headers=api.as_worker(w[2]))).status_code == 200
    await _join(api, w[4], {"union_id": union_b, "platform_id": b})
    await _join(api, w[6], {"union_id": union_d, "district": "chengzhong"})
    # w3 joins A's union; A cancels w3's account (no longer joins through A); B registers w3 (城东) and w3
    # transfers to B's union (the old membership ends: one member)
    await _join(api, w[3], {"union_id": union_a, "platform_id": a})
    await cancelled(unions, w[3], a)
    through_a = await api.client.post(
        "/v1/memberships", headers=api.as_worker(w[3]), json={"union_id": union_a, "platform_id": a}
    )
    assert through_a.status_code == 422 and through_a.json()["rule"] == "M17.not_registered_with_platform"
    await registered(unions, w[3], b, district="chengdong")
    await _join(api, w[3], {"union_id": union_b, "platform_id": b})

    # per district, each person once: 城东 w3 (member), w4 (member), w5 (member; latest registration B),
    # w7 (A's registration: B's was cancelled) = 3 of 4; 城西 w1 (member), w2 = 1 of 2; w6 is outside
    districts = await api.client.get("/v1/coverage/districts", headers=api.regulator)
    assert districts.status_code == 200, districts.text
    assert [
        (r["district"], r["members"], r["registered_workers"], r["coverage_percent"]) for r in districts.json()
    ] == [
        ("chengdong", 3, 4, 75),
        ("chengxi", 1, 2, 50),
    ]
    # per platform: A's active registrations w1, w2, w5, w7 (w3 cancelled), members w1, w5 = 2 of 4;
    # B's w3, w4, w5 (w7 cancelled), all members — w5 joined through A, membership is the person's
    expected = {
        a: {"platform_id": a, "members": 2, "registered_workers": 4, "coverage_percent": 50},
        b: {"platform_id": b, "members": 3, "registered_workers": 3, "coverage_percent": 100},
    }
    assert (await api.client.get("/v1/coverage", headers=api.regulator)).json() == sorted(
        expected.values(), key=lambda r: r["platform_id"]
    )
    # a platform sees its own row only, whatever it asks for
    own = await api.client.get("/v1/coverage", headers=api.as_platform(a), params={"platform_id": b})
    assert own.json() == [expected[a]]
    assert (await api.client.get("/v1/coverage", params={"platform_id": b}, headers=api.regulator)).json() == [
        expected[b]
    ]
    assert (await api.client.get("/v1/coverage/districts", headers=api.as_platform(a))).status_code == 403
    assert (await api.client.get("/v1/coverage", headers=api.as_worker(w[1]))).status_code == 403
