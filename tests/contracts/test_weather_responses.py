"""M8 in bad weather, contracts' side (newform_contracts/safety/): the emergency department's warnings read
from departments.events (the producer's own event model), one response clock per platform engaging workers
in the district, stopped by a response, moved or stopped by an amendment; the response's own checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from newform_common import clock
from newform_common.kafka import ensure_topics
from newform_common.policy import BUSINESS_TZ
from newform_common.testing import eventually, running_service, unique_name, worker_id_of
from newform_contracts.main import create_app
from newform_departments import events as department_events  # the producer's own event models

from ..kit.contracts import make_settings, migrate, resident_id, scalar
from ..kit.feed import EventFeed
from .conftest import Api

CLOCK = "contracts.weather_response_due"


@pytest.fixture(scope="module")
async def world(new_database, kafka, tokens):
    url = new_database("contracts")
    await migrate(url)
    name = unique_name("ctw").replace("_", "")
    topic = f"{name}-departments.events"
    settings = make_settings(
        url,
        kafka.bootstrap_servers,
        tokens.public_pem,
        service_name=f"{name}-contracts",
        departments_topic=topic,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=3600,  # the clocks are looked at, not fired
    )
    await ensure_topics(kafka.bootstrap_servers, [topic, settings.topic])
    async with running_service(create_app, settings, tokens) as service:
        yield (
            Api(client=service.client, tokens=tokens, url=url, settings=settings),
            EventFeed(kafka.bootstrap_servers, topics={"departments": topic}),
        )


def warning(fact_id: str, version: int = 1, **over) -> department_events.WeatherWarningIssued:
    starts = clock.now().astimezone(BUSINESS_TZ) - timedelta(minutes=10)
    fields = {
        "fact_id": fact_id,
        "subject_key": "XNQX-" + fact_id,
        "department": "emergency",
        "reference": "XNQX-" + fact_id,
        "version": version,
        "observed_at": starts,
        "recorded_at": starts,
        "district": "chengbei",
        "level": "orange",
        "hazard": "ice",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=8),
        "source": "西宁市气象台",
        **over,
    }
    return department_events.WeatherWarningIssued(**fields)


async def engaged_in_chengbei(api: Api) -> str:
    pid = await api.platform()
    worker = await api.worker(pid)
    await api.signed(pid, worker["registration_id"], pid, district="chengbei", start_date="2026-01-01")
    return pid


async def clock_status(api: Api, fact_id: str, pid: str) -> str | None:
    return await scalar(
        api.url,
        "select status from deadlines where kind = :k and subject_id = :s order by created_at desc limit 1",
        k=CLOCK,
        s=f"{fact_id}:{pid}",
    )


async def held_version(api: Api, pid: str, fact_id: str):
    r = await api.client.get("/v1/weather-warnings", headers=api.as_platform(pid), params={"limit": 500})
    return next((w["version"] for w in r.json()["items"] if w["warning_id"] == fact_id), None)


async def test_an_orange_warning_starts_a_clock_a_response_stops_it_and_is_checked(world):
    api, feed = world
    pid, other = await engaged_in_chengbei(api), await api.platform()
    fact_id = unique_name("fct")
    missing = await api.client.post(
        "/v1/weather-responses", headers=api.as_platform(pid), json={"warning_id": fact_id, "dispatch": "limited"}
    )
    assert missing.status_code == 404
    await feed.send(warning(fact_id), source="departments")
    assert await eventually(lambda: held_version(api, pid, fact_id), timeout=90) == 1
    assert await clock_status(api, fact_id, pid) == "pending"
    assert await clock_status(api, fact_id, other) is None  # no contract in the district: not asked

    h = api.as_platform(pid)
    foreign = await api.client.post(
        "/v1/rule-notices",
        headers=api.as_platform(other),
        json={
            "topic": "order_allocation",
            "title": "派单规则",
            "content": "冰冻天气限制派单。",
            "consultation": {"consulted_with": "union", "consulted_on": "2026-11-01", "opinion": "同意"},
            "published_on": "2026-11-02",
            "effective_on": "2026-11-20",
        },
    )
    assert foreign.status_code == 201, foreign.text
    body = {"warning_id": fact_id, "dispatch": "unchanged"}
    r = await api.client.post(
        "/v1/weather-responses", headers=h, json={**body, "rule_notice_id": foreign.json()["notice_id"]}
    )
    assert r.status_code == 422 and r.json()["type"].endswith("unknown-rule-notice")
    future = (clock.now() + timedelta(hours=1)).isoformat()
    assert (
        await api.client.post("/v1/weather-responses", headers=h, json={**body, "taken_at": future})
    ).status_code == 422
    worker = await api.client.post(
        "/v1/weather-responses", headers=api.as_worker(worker_id_of(resident_id())), json=body
    )
    assert worker.status_code == 403
    assert await clock_status(api, fact_id, pid) == "pending"  # nothing refused stopped it

    # A response that is no measure stops the clock (declared) but is itself a finding.
    r = await api.client.post("/v1/weather-responses", headers=h, json=body)
    assert r.status_code == 201, r.text
    assert [f["rule"] for f in r.json()["findings"]] == ["M8.weather_response_without_measure"]
    assert await clock_status(api, fact_id, pid) == "cancelled"
    mine = (await api.client.get("/v1/weather-responses", headers=h)).json()["items"]
    assert [x["warning_id"] for x in mine] == [fact_id]
    theirs = (await api.client.get("/v1/weather-responses", headers=api.as_platform(other))).json()["items"]
    assert theirs == []


async def test_an_amendment_moves_the_clock_a_downgrade_stops_it_an_older_statement_changes_nothing(world):
    api, feed = world
    pid = await engaged_in_chengbei(api)
    fact_id = unique_name("fct")
    first = warning(fact_id)
    await feed.send(first, source="departments")
    assert await eventually(lambda: held_version(api, pid, fact_id), timeout=90) == 1
    due_1 = await scalar(api.url, "select due_at from deadlines where subject_id = :s", s=f"{fact_id}:{pid}")
    later = first.model_copy(
        update={"version": 2, "level": "red", "observed_at": first.observed_at + timedelta(hours=1)}
    )
    await feed.send(later, source="departments")

    async def moved():
        due = await scalar(
            api.url, "select due_at from deadlines where subject_id = :s and status = 'pending'", s=f"{fact_id}:{pid}"
        )
        return due if due is not None and due > due_1 else None

    assert await eventually(moved, timeout=90) == due_1 + timedelta(hours=1)
    await feed.send(later.model_copy(update={"version": 3, "level": "yellow"}), source="departments")

    async def stopped():
        return await clock_status(api, fact_id, pid) == "cancelled" or None

    await eventually(stopped, timeout=90)
    await feed.send(first, source="departments")  # version 1 again, late: the copy keeps version 3

    async def still_three():
        return await held_version(api, pid, fact_id) == 3 or None

    await eventually(still_three, timeout=90)
    assert await clock_status(api, fact_id, pid) == "cancelled"
