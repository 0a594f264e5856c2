"""The unions service's API, against real PostgreSQL and Kafka."""

from __future__ import annotations


async def test_the_service_is_ready_and_lists_no_findings_yet(api):
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    findings = await api.client.get("/v1/findings", headers=api.regulator)
    assert findings.status_code == 200 and findings.json() == {"items": [], "next_cursor": None}
    assert (await api.client.get("/v1/findings")).status_code == 401
