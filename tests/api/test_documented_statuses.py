"""Every operation that names a resource in its path documents the 404 it answers when there is none.

Issue 24, defect 11: two wages operations answered 404 (`POST /v1/statements/{statement_id}/payments`,
`POST /v1/quotas/{quota_id}/assessments`) while their OpenAPI `responses` lacked it, so generated clients
had no type for it. Finding every status a handler can raise is not decidable from the outside; what is
checked here, for each of the six services' own documents: every operation with a path parameter declares
404 — unless it is listed below with why its parameter never names a missing resource.
"""

from __future__ import annotations

import importlib

import pytest

from newform_common.testing import TokenFactory

SERVICES = ("contracts", "departments", "disputes", "gateway", "training", "wages")

#: (service, METHOD, path) → why no 404 can come from its path parameter.
NO_RESOURCE_IN_PATH = {
    (
        "contracts",
        "GET",
        "/v1/rule-notices/{topic}/versions",
    ): "the topic is one of a closed list (422 otherwise); a topic without notices is an empty list",
    ("gateway", "PUT", "/v1/calendar/schedules/{year}"): "a year is a value, not a stored resource (422 out of range)",
    ("gateway", "GET", "/v1/calendar/days/{day}"): "every date has a day kind (422 for a non-date)",
    (
        "wages",
        "GET",
        "/v1/workers/{worker_id}/hours",
    ): "a worker with no sessions has zero hours (200); another worker's hours are 403",
    (
        "wages",
        "GET",
        "/v1/platforms/{platform_id}/early-warnings",
    ): "the platform is the caller's scope (403 outside it); a platform without statements has no warnings",
}


def _document(service: str) -> dict:
    config = importlib.import_module(f"newform_{service}.config")
    settings = config.Settings(
        database_url="postgresql+asyncpg://unused@127.0.0.1/unused", jwt_public_key=TokenFactory.generate().public_pem
    )
    return importlib.import_module(f"newform_{service}.main").create_app(settings).openapi()


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_naming_a_resource_in_its_path_declares_404(service):
    doc = _document(service)
    undeclared, stale = [], []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            key = (service, method.upper(), path)
            has_path_parameter = any(p.get("in") == "path" for p in operation.get("parameters", []))
            if not has_path_parameter:
                continue
            declared = "404" in operation["responses"]
            if key in NO_RESOURCE_IN_PATH:
                if declared:
                    stale.append(key)
            elif not declared:
                undeclared.append(key)
    assert not undeclared, f"operations with a path parameter whose 404 is undocumented: {undeclared}"
    assert not stale, f"listed as never 404 but declare it (drop them from NO_RESOURCE_IN_PATH): {stale}"
