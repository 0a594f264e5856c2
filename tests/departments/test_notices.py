"""Notices for workers (M11, M12, M15): a measure's units publish, each only its own (a district government
to its district only); a worker reads the notices valid today that target their district (residence of the
latest active registration) and occupations (of their active registrations), from contracts' events."""

from __future__ import annotations

from datetime import timedelta

from newform_common import clock
from newform_common import testing as kit
from newform_contracts.events import AccountRestricted, RestrictionLifted

from ..kit.feed import EventFeed


def notice(**kw) -> dict:
    today = clock.today()
    return {
        "reference": kit.unique_name("TZ"),
        "kind": "job_fair",
        "title": "城西区快递员专场招聘会",
        "body": "12月10日上午9点，城西区人力资源市场。",
        "valid_from": (today - timedelta(days=1)).isoformat(),
        "valid_until": (today + timedelta(days=10)).isoformat(),
        **kw,
    }


async def test_a_notice_for_couriers_in_one_district_reaches_those_workers_only(api):
    feed = EventFeed(api.settings.kafka_bootstrap_servers, topics={"contracts": api.contracts_topic})
    courier_west, courier_east, rider_west, cancelled = (kit.worker_id_of(kit.resident_id()) for _ in range(4))
    await feed.worker(courier_west, "plat_a", occupation="courier", district="chengxi")
    await feed.worker(courier_east, "plat_a", occupation="courier", district="chengdong")
    await feed.worker(rider_west, "plat_b", occupation="food_delivery", district="chengxi")
    # A courier who moved: the latest registration's residence (chengdong) is where they live now.
    moved = kit.worker_id_of(kit.resident_id())
    await feed.worker(moved, "plat_a", occupation="courier", district="chengxi")
    await feed.worker(moved, "plat_b", occupation="food_delivery", district="chengdong")

    targeted = await api.post("/v1/notices", "hrss", notice(districts=["chengxi"], occupations=["courier"]))
    assert targeted.status_code == 201, targeted.text
    assert targeted.json()["measure"] == "M11"
    hotline = await api.post(
        "/v1/notices", "hrss", notice(kind="complaint_hotline", title="劳动保障维权热线 12333", contact="12333")
    )
    expired = await api.post(
        "/v1/notices", "hrss", notice(valid_from="2026-01-01", valid_until="2026-01-31", title="已过期")
    )
    future = await api.post("/v1/notices", "hrss", notice(valid_from=(clock.today() + timedelta(days=3)).isoformat()))
    ids = {targeted.json()["id"]: "targeted", hotline.json()["id"]: "hotline"}
    ids |= {expired.json()["id"]: "expired", future.json()["id"]: "future"}

    async def seen(worker: str) -> set[str]:
        got = (await api.client.get("/v1/notices", headers=api.as_worker(worker))).json()
        return {ids[n["id"]] for n in got if n["id"] in ids}

    await kit.eventually(lambda: _is(seen(courier_west), {"targeted", "hotline"}))
    count = "select count(*) from worker_registrations where worker_id = :w"
    await kit.eventually(lambda: _is(kit.scalar(api.url, count, w=moved), 2))
    assert await seen(moved) == {"hotline"}
    assert await seen(courier_east) == {"hotline"}
    assert await seen(rider_west) == {"hotline"}
    assert await seen(kit.worker_id_of(kit.resident_id())) == {"hotline"}  # not registered: untargeted only

    # A platform cancels the courier's account (M5): that registration no longer targets notices.
    restriction = kit.unique_name("rst")
    await feed.send(
        AccountRestricted(
            restriction_id=restriction,
            worker_id=courier_west,
            platform_id="plat_a",
            action="cancel",
            reason_code="fraud",
            reason_listed=True,
            notice_days=0,
            effective_at=clock.now(),
        )
    )
    await kit.eventually(lambda: _is(seen(courier_west), {"hotline"}))
    await feed.send(
        RestrictionLifted(
            restriction_id=restriction,
            worker_id=courier_west,
            platform_id="plat_a",
            lifted_by_role="platform",
            lifted_at=clock.now(),
        )
    )
    await kit.eventually(lambda: _is(seen(courier_west), {"targeted", "hotline"}))


async def _is(got, expected) -> bool:
    return await got == expected


async def test_publishers_only_for_their_measures_own_notices_and_district(api):
    # M12 is hrss's, tax's and the district governments'; M15 culture's, education's, sports'.
    assert (await api.post("/v1/notices", "transport", notice(kind="insurance_enrolment"))).status_code == 403
    assert (await api.post("/v1/notices", "education", notice(kind="schooling"))).status_code == 201
    county = api.department("county", "huangzhong")
    own = await api.client.post(
        "/v1/notices", headers=county, json=notice(kind="culture_sports", districts=["huangzhong"])
    )
    assert own.status_code == 201 and own.json()["publisher"] == "county:huangzhong"
    everywhere = await api.client.post("/v1/notices", headers=county, json=notice(kind="culture_sports"))
    assert everywhere.status_code == 403
    other = await api.client.post(
        "/v1/notices", headers=county, json=notice(kind="culture_sports", districts=["chengxi"])
    )
    assert other.status_code == 403

    body = notice(kind="recruitment_warning", title="警惕“高薪日结”招聘陷阱")
    first = (await api.post("/v1/notices", "market", body)).json()
    assert (await api.post("/v1/notices", "market", body)).json()["status"] == "unchanged"
    foreign = await api.client.put(f"/v1/notices/{first['id']}", headers=api.department("postal"), json=body)
    assert foreign.status_code == 403
    ended = await api.client.put(
        f"/v1/notices/{first['id']}", headers=api.department("market"), json={**body, "valid_until": body["valid_from"]}
    )
    assert (ended.json()["status"], ended.json()["version"]) == ("updated", 2)
    mine = (await api.client.get("/v1/notices", headers=api.department("market"))).json()
    assert {n["publisher"] for n in mine} == {"market"}

    for bad in (
        notice(valid_until="2020-01-01"),
        notice(kind="lottery"),
        notice(occupations=["astronaut"]),
        notice(body="<script>alert(1)</script>"),
    ):
        assert (await api.post("/v1/notices", "hrss", bad)).status_code == 422, bad
