"""The contracts API through HTTP against real PostgreSQL."""

from __future__ import annotations


async def test_smoke(api):
    pid = await api.platform()
    w = await api.worker(pid)
    r = await api.draft(pid, w["registration_id"])
    assert r.status_code == 201, r.text
    print(r.json())
