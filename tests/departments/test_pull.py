"""Pull adapters: the service fetches facts from a department system that cannot push (a fake register on
loopback HTTP), maps its field codes, keeps its cursor, and shows requests and failures in /metrics."""

from __future__ import annotations

import socket

import pytest

from newform_common import testing as kit
from newform_common.testing import TEST_PII_SECRET, migrated_database, running_service, scalar, unique_name
from newform_departments.config import Settings
from newform_departments.main import create_app

from ..kit.loopback import LoopbackServer
from .fake_social_insurance import FakeSocialInsuranceRegister


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def record(id_number: str, reference: str, *, status: str = "2", insurance: str = "410") -> dict:
    return {
        "aaz159": reference,
        "aac002": id_number,
        "aae140": insurance,
        "aac008": status,
        "aae030": "2026-01-01",
        "aae031": "2026-06-30",
        "aae036": "2026-07-01T09:00:00+08:00",
    }


@pytest.fixture(scope="module")
async def pulled(new_database, kafka, tokens, tmp_path_factory):
    register = FakeSocialInsuranceRegister()
    token_file = tmp_path_factory.mktemp("pull") / "token"
    token_file.write_text(register.token)
    url = await migrated_database(new_database, "departments")
    name = unique_name("departments")
    async with LoopbackServer(register.app(), free_port()) as server:
        source = {
            "name": "medins-si",
            "adapter": "social-insurance",
            "department": "medins",
            "url": f"{server.url}/si/enrolments",
            "interval_s": 3600,
            "token_file": str(token_file),
        }
        settings = Settings(
            database_url=url,
            kafka_bootstrap_servers=kafka.bootstrap_servers,
            jwt_public_key=tokens.public_pem,
            relay_poll_interval_s=0.2,
            service_name=name,
            contracts_topic=f"{name}-contracts.events",
            pii_secret=TEST_PII_SECRET,
            pull_sources=[source],
        )
        async with running_service(create_app, settings, tokens) as service:
            # The schedule pulls once at start-up (nothing there yet); the tests then pull on demand.
            await kit.eventually(lambda: scalar(url, "select count(*) from pull_runs where finished_at is not null"))
            yield service, register


async def run_now(service) -> dict:
    r = await service.client.post("/v1/pull-sources/medins-si/run", headers=service.admin)
    assert r.status_code == 200, r.text
    return r.json()


async def test_records_are_pulled_mapped_and_the_cursor_kept(pulled):
    service, register = pulled
    first, second = kit.resident_id(), kit.resident_id()
    register.records += [
        record(first, "SI-1"),
        record(second, "SI-2", status="1", insurance="310"),
        record(kit.resident_id(), "SI-3", insurance="999"),
    ]
    run = await run_now(service)
    assert (run["fetched"], run["recorded"], run["rejected"], run["error"], run["cursor"]) == (3, 2, 1, None, "3")
    assert run["line_errors"][0]["line"] == 3 and "insurance_type" in run["line_errors"][0]["field"]
    assert register.requests[-1]["authorization"] == f"Bearer {register.token}"
    facts = await kit.fetch(service.url, "select department, worker_id, body from facts order by reference")
    assert [(f["department"], f["worker_id"], f["body"]["insurance_type"], f["body"]["status"]) for f in facts] == [
        ("medins", kit.worker_id_of(first), "work_injury", "not_enrolled"),
        ("medins", kit.worker_id_of(second), "medical", "enrolled"),
    ]
    # The next run asks from the cursor: only what is new.
    register.records.append(record(first, "SI-4", status="1"))
    run = await run_now(service)
    assert register.requests[-1]["since"] == 3 and (run["fetched"], run["recorded"]) == (1, 1)
    # Written as medins, audited as a pull.
    assert (
        await scalar(
            service.url,
            "select count(*) from audit_log where principal = 'department:pull:medins-si' and action = 'write'",
        )
        == 3
    )


async def test_a_failing_register_is_a_recorded_failure_and_a_metric(pulled):
    service, register = pulled
    register.failing = True
    try:
        run = await run_now(service)
    finally:
        register.failing = False
    assert run["error"].startswith("HTTPStatusError") and run["fetched"] == 0
    listed = (await service.client.get("/v1/pull-sources", headers=service.regulator)).json()
    assert listed[0]["name"] == "medins-si" and listed[0]["runs"][0]["error"] == run["error"]
    metrics = (await service.client.get("/metrics")).text
    assert 'newform_departments_pull_requests_total{outcome="failed",source="medins-si"}' in metrics
    assert 'newform_departments_pull_records_total{result="rejected",source="medins-si"}' in metrics
    # The failed run left the cursor where it was: the next asks from the same place.
    await run_now(service)
    assert register.requests[-1]["since"] == 4
