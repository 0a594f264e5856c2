"""Reading enrolments (M13): a worker sees their own (the workers' app shows a course as already enrolled after a
reload), an enterprise those it made, hrss all, a district government its district's courses', a certification
body none."""

from __future__ import annotations

from ..kit.training import new_worker


async def enrolment_ids(api, headers, **params) -> set[tuple[str, str]]:
    r = await api.client.get("/v1/enrolments", headers=headers, params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    return {(e["course_id"], e["worker_id"]) for e in r.json()["items"]}


async def enrol(api, course: str, headers, worker: str | None = None) -> None:
    r = await api.client.post(f"/v1/courses/{course}/enrolments", headers=headers, json={"worker_id": worker})
    assert r.status_code == 201, r.text


async def test_each_caller_sees_only_the_enrolments_in_its_view(api):
    chengxi = await api.course(await api.provider())
    datong = await api.course(await api.provider(district="datong"), district="datong")
    platform = "plat-enrolments"
    own_course = await api.course(
        await api.provider("enterprise", platform_id=platform), headers=api.as_platform(platform)
    )
    first, second, employee = new_worker(), new_worker(), new_worker()
    await enrol(api, chengxi, api.as_worker(first))
    await enrol(api, datong, api.as_worker(first))
    await enrol(api, chengxi, api.as_worker(second))
    await enrol(api, own_course, api.as_platform(platform), worker=employee)

    assert await enrolment_ids(api, api.as_worker(first)) == {(chengxi, first), (datong, first)}
    assert await enrolment_ids(api, api.as_worker(first), course_id=datong) == {(datong, first)}
    assert await enrolment_ids(api, api.as_worker(second)) == {(chengxi, second)}
    assert await enrolment_ids(api, api.as_platform(platform)) == {(own_course, employee)}
    assert await enrolment_ids(api, api.as_platform("another-platform")) == set()
    everything = {(chengxi, first), (datong, first), (chengxi, second), (own_course, employee)}
    assert everything <= await enrolment_ids(api, api.hrss)
    assert await enrolment_ids(api, api.department("county", "datong")) == {(datong, first)}
    assert await enrolment_ids(api, api.as_body(await api.body())) == set()
    assert (await api.client.get("/v1/enrolments")).status_code == 401
