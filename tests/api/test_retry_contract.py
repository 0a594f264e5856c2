"""Retry semantics in the contract (issue 24, defect 6): every write declares the 409
`concurrent-change` with Retry-After, every POST that honours Idempotency-Key declares it, and every
problem type is served at its `type` URI by every service."""

from __future__ import annotations

import httpx
import pytest

from newform_common import problem_types
from newform_common.errors import Problem

from .test_declared_headers import SERVICES, _app

WRITES = ("post", "put", "patch", "delete")


@pytest.mark.parametrize("service", SERVICES)
def test_every_write_declares_the_concurrent_change_409_with_retry_after(service):
    schema = _app(service).openapi()
    writes = 0
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in WRITES:
                continue
            writes += 1
            conflict = op["responses"].get("409")
            assert conflict, f"{method} {path}"
            assert "concurrent-change" in conflict["description"], f"{method} {path}"
            assert conflict["headers"]["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}
            assert "application/problem+json" in conflict["content"]
            assert not any(k.startswith("x-honours") for k in op), "the marker is the builder's, not published"
    assert writes


def test_an_operation_s_own_409_is_merged_not_replaced():
    schema = _app("disputes").openapi()
    own = schema["paths"]["/v1/cases/{case_id}/sessions"]["post"]["responses"]["409"]["description"]
    assert own.startswith("Conflict with the current state; or concurrent change")


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("gateway", "/v1/alerts/{alert_id}/comments"),
        ("disputes", "/v1/cases/{case_id}/sessions"),
        ("wages", "/v1/statements/{statement_id}/payments"),
        ("disputes", "/v1/mediators"),
    ],
)
def test_posts_that_honour_the_key_declare_it_and_the_replay_header(service, path):
    op = _app(service).openapi()["paths"][path]["post"]
    assert {"$ref": "#/components/parameters/IdempotencyKey"} in op["parameters"]
    ok = next(code for code in op["responses"] if code.startswith("2"))
    assert "Idempotent-Replayed" in op["responses"][ok]["headers"]


@pytest.mark.parametrize("service", SERVICES)
async def test_the_problem_catalogue_is_served_at_the_type_uris_outside_the_openapi_paths(service):
    app = _app(service)
    assert not any(p.startswith("/problems") for p in app.openapi()["paths"])
    type_uri = Problem("x", slug="concurrent-change").body()["type"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://api.example") as client:
        listed = await client.get("/problems")
        assert listed.status_code == 200
        assert {p["slug"] for p in listed.json()} == set(problem_types.CATALOGUE)
        # The type is a relative reference: resolved against the request's URI, it is this service's page.
        page = await client.get(str(httpx.URL("https://api.example/v1/anything").join(type_uri)))
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "并发修改" in page.text and "Concurrent change" in page.text and "Retry-After" in page.text
        assert "http" not in page.text.replace("application/problem+json", "")  # no external assets
        missing = await client.get("/problems/no-such-type")
        assert missing.status_code == 404 and missing.json()["type"].endswith("/not-found")
