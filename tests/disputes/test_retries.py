"""Retries of mediation writes (issue 24, defect 6): a mediation session retried with the same
Idempotency-Key is recorded once; idempotency records are purged after the retention."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from newform_common.db import Database
from newform_common.idempotency import purge_expired, retention
from newform_common.testing import scalar

from .test_cases import MEDIATOR, add_mediator, days, ids, mediating


async def test_a_retried_session_is_recorded_once(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await mediating(disputes, worker, pid)
    mediator = await add_mediator(api)
    assigned = await api.client.post(
        f"/v1/cases/{case['case_id']}/assignment", headers=api.department("hrss"), json={"mediator_id": mediator}
    )
    assert assigned.status_code == 200, assigned.text
    headers = {**disputes.mediator(mediator), "Idempotency-Key": f"session-{case['case_id']}"}
    body = {"held_on": days(0), "summary": "双方陈述"}
    first = await api.client.post(f"/v1/cases/{case['case_id']}/sessions", headers=headers, json=body)
    again = await api.client.post(f"/v1/cases/{case['case_id']}/sessions", headers=headers, json=body)
    assert first.status_code == again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert len(again.json()["sessions"]) == 1
    fresh = await api.client.get(f"/v1/cases/{case['case_id']}", headers=api.department("hrss"))
    assert len(fresh.json()["sessions"]) == 1
    # Without a key a second call is a second session (the key is what makes a retry safe).
    other = await api.client.post(
        f"/v1/cases/{case['case_id']}/sessions", headers=disputes.mediator(mediator), json=body
    )
    assert len(other.json()["sessions"]) == 2


async def test_idempotency_records_are_purged_after_the_retention_in_batches(disputes):
    api = disputes.api
    assert retention({}) == timedelta(days=7) and retention({"IDEMPOTENCY_RETENTION_HOURS": "24"}) == timedelta(1)
    for n in range(5):
        r = await api.client.post(
            "/v1/mediators",
            headers={**api.department("court"), "Idempotency-Key": f"m{n}"},
            json={"name": f"调解员{n}", **MEDIATOR},
        )
        assert r.status_code == 201, r.text
    count = "select count(*) from idempotency_keys where operation = 'POST /v1/mediators'"
    assert await scalar(api.url, count) == 5
    db = Database(api.url, service="disputes")
    try:
        async with db.sessions() as session:  # three answers from eight days ago, two fresh ones
            await session.execute(
                text(
                    "update idempotency_keys set created_at = now() - interval '8 days' where ctid in ("
                    " select ctid from idempotency_keys where operation = 'POST /v1/mediators' limit 3)"
                )
            )
            await session.commit()
        assert await purge_expired(db, retention(), batch=2) >= 3  # two batches of 2, then 1
    finally:
        await db.dispose()
    assert await scalar(api.url, count) == 2
