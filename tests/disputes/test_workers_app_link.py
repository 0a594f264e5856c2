"""The disputes service's `/` sends a worker to the one workers' app (WORKER_APP_URL), on its complaints
section: the complaint page that asked for a pasted token is gone, its API is not."""

from __future__ import annotations


async def test_the_front_page_sends_workers_to_the_workers_app(api):
    r = await api.client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"{api.settings.worker_app_url}#disputes"
    for gone in ("/static/worker.js", "/static/worker.css"):
        assert (await api.client.get(gone)).status_code == 404
    # The API the page used is what the app calls: still there.
    r = await api.client.get("/v1/categories", headers=api.as_worker("w_" + "a" * 26))
    assert r.status_code == 200 and r.json()["pay"] == "劳动报酬"
