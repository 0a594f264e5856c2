"""The public directory of platforms: every signed-in caller, a worker too, reads a platform's name, district
and occupations (public registration facts), and nothing else; the rest of enterprises keeps its tenancy."""

from __future__ import annotations

from ..kit.contracts import credit_code

PUBLIC = {"platform_id", "name", "district", "occupations"}


async def test_a_worker_reads_a_platforms_name_and_only_its_public_facts(api):
    pid = await api.platform()
    worker = await api.worker(pid)
    as_worker = api.as_worker(worker["worker_id"])

    r = await api.client.get(f"/v1/platforms/{pid}", headers=as_worker)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "platform_id": pid,
        "name": f"平台{pid}",
        "district": "chengzhong",
        "occupations": ["food_delivery", "courier"],
    }
    # The credit code, kind, licences and registration time stay with oversight's /v1/enterprises.
    full = (await api.client.get(f"/v1/enterprises/{pid}", headers=api.regulator)).json()
    assert full["credit_code"] and "credit_code" not in r.json() and "registered_at" not in r.json()


async def test_the_directory_lists_platforms_not_their_partners_for_any_caller(api):
    a, b = await api.platform(), await api.platform()
    partner = await api.partner(a, "outsourcer")
    for headers in (api.as_worker("w_" + "a" * 26), api.as_platform(b), api.role("mediator", subject="m-1")):
        listed, cursor = [], None
        while True:
            r = await api.client.get("/v1/platforms", headers=headers, params={"cursor": cursor} if cursor else {})
            assert r.status_code == 200, r.text
            listed += r.json()["items"]
            if not (cursor := r.json().get("next_cursor")):
                break
        ids = {p["platform_id"] for p in listed}
        assert {a, b} <= ids and partner["enterprise_id"] not in ids
        assert all(set(p) == PUBLIC for p in listed)
    r = await api.client.get(f"/v1/platforms/{partner['enterprise_id']}", headers=api.as_worker("w_" + "a" * 26))
    assert r.status_code == 404
    assert (await api.client.get(f"/v1/platforms/{a}")).status_code == 401


async def test_reading_the_directory_opens_nothing_else_of_another_platform(api):
    a, b = await api.platform(), await api.platform()
    # Platform B reads A's public name, but A's enterprise record and partners stay out of its view...
    assert (await api.client.get(f"/v1/platforms/{a}", headers=api.as_platform(b))).status_code == 200
    assert (await api.client.get(f"/v1/enterprises/{a}", headers=api.as_platform(b))).status_code == 404
    r = await api.client.get("/v1/enterprises", headers=api.as_platform(b), params={"platform_id": a})
    assert r.status_code == 403
    # ...and a worker still cannot register a platform.
    body = {
        "platform_id": "x-not-registered",
        "name": "冒名平台",
        "credit_code": credit_code(),
        "district": "chengzhong",
        "occupations": ["courier"],
    }
    r = await api.client.post("/v1/platforms", headers=api.as_worker("w_" + "a" * 26), json=body)
    assert r.status_code == 403
    assert (await api.client.get("/v1/platforms/x-not-registered", headers=api.admin)).status_code == 404
