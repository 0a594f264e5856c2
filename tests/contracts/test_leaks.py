"""Issue 24, defect 11 (small leaks), in contracts: an ID number put where an id goes, the rule register's
versions, the `Allow` header of a 405."""

from __future__ import annotations

import logging

from newform_common.identity import mask_resident_id
from newform_common.testing import worker_id_of

from ..kit.contracts import resident_id


async def test_an_id_number_in_a_path_is_neither_logged_nor_echoed(api, caplog):
    world = await api.platform()
    id_number = resident_id()
    caplog.set_level(logging.INFO, logger="newform.access")
    for path in (f"/v1/workers/{id_number}", f"/v1/contracts/{id_number}", f"/v1/enterprises/{id_number}"):
        r = await api.client.get(path, headers=api.as_platform(world))
        assert r.status_code == 404, r.text
        problem = r.json()
        assert id_number not in r.text, problem  # neither `detail` nor `instance` carries it
        assert mask_resident_id(id_number) in problem["instance"]  # the path is still recognisable
    access = [record for record in caplog.records if record.name == "newform.access"]
    assert len(access) >= 3
    for record in access:
        assert id_number not in record.getMessage() and id_number not in record.path
    assert any(mask_resident_id(id_number) in record.path for record in access)


async def test_a_worker_reads_no_platforms_rule_notice_versions_as_the_list_shows_none(api):
    platform = await api.platform()
    h = api.as_platform(platform)
    for content in ("基础单价4.5元", "基础单价4元"):
        r = await api.client.post(
            "/v1/rule-notices",
            headers=h,
            json={
                "topic": "piece_rates",
                "title": "配送单价",
                "content": content,
                "published_on": "2026-11-10",
                "effective_on": "2026-11-20",
            },
        )
        assert r.status_code == 201, r.text
    worker = await api.worker(platform)  # registered with the platform, and still shown none by the list
    for headers in (api.as_worker(worker["worker_id"]), api.as_worker(worker_id_of(resident_id()))):
        listed = await api.client.get("/v1/rule-notices", headers=headers, params={"platform_id": platform})
        assert listed.status_code == 200 and listed.json()["items"] == []
        versions = await api.client.get(
            "/v1/rule-notices/piece_rates/versions", headers=headers, params={"platform_id": platform}
        )
        assert versions.status_code == 200 and versions.json() == [], versions.text
        diff = await api.client.get(
            "/v1/rule-notices/piece_rates/diff", headers=headers, params={"platform_id": platform, "from": 1, "to": 2}
        )
        assert diff.status_code == 404, diff.text
    # The platform itself and oversight still read them.
    assert len((await api.client.get("/v1/rule-notices/piece_rates/versions", headers=h)).json()) == 2
    assert (
        len(
            (
                await api.client.get(
                    "/v1/rule-notices/piece_rates/versions", headers=api.regulator, params={"platform_id": platform}
                )
            ).json()
        )
        == 2
    )


async def test_a_405_names_every_method_the_path_supports(api):
    r = await api.client.delete("/v1/rule-notices", headers=api.regulator)
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"
    # FastAPI routes answer HEAD with 405 (no implicit HEAD for GET), so HEAD is rightly absent.
    assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "POST"}
    assert (await api.client.head("/v1/rule-notices", headers=api.regulator)).headers["allow"] == r.headers["allow"]
    r = await api.client.put("/v1/workers/some-registration", headers=api.regulator)
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"


async def test_an_id_number_beside_a_nul_is_not_echoed_by_the_edge_refusal(api):
    id_number = resident_id()
    r = await api.client.get(f"/v1/workers/{id_number}%00", headers=api.regulator)
    assert r.status_code == 422 and r.json()["type"].endswith("/unstorable-input")
    assert id_number not in r.text and mask_resident_id(id_number) in r.json()["instance"]
