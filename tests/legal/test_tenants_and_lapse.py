"""Tenants and the lapse of the measures (X-1 … X-4 of cases.md): the seven district governments are seven
tenants, never one; after 宁政办〔2022〕41号 lapses (2026-12-21) the duties national law carries stay law,
and a fact is judged under the sources in force on its own dates — through the public APIs of the gateway,
wages, training, disputes and departments."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from newform_common.clock import frozen_at
from newform_common.kafka import ensure_topics
from newform_common.policy import BUSINESS_TZ, get_policy
from newform_common.testing import app_client, eventually, migrated_database, running_service, unique_name
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments_app
from newform_disputes.config import Settings as DisputesSettings
from newform_disputes.main import create_app as create_disputes_app
from newform_gateway.main import create_app as create_gateway_app
from newform_training.config import Settings as TrainingSettings
from newform_training.main import create_app as create_training_app
from newform_wages.config import Settings as WagesSettings
from newform_wages.main import create_app as create_wages_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, prepare_topics
from ..kit.wages import new_platform, new_worker, session_line, statement
from .facts_support import Case

CASES = [
    Case(
        "X-1",
        "two district governments use the same Idempotency-Key for a webhook registration",
        "each gets its own; neither sees the other's secret",
        "—",
        {"districts": ("chengxi", "chengdong")},
    ),
    Case("X-2", "a county-government token without a district", "403 on every view that is scoped by district", "—"),
    Case(
        "X-3",
        "after 2026-12-21: minimum wage, overtime premiums, arrears, working-time limits, the rest-break "
        "guideline, insurance duties",
        "judged as law, not provisional (their sources outlive the measures)",
        "劳动法; 劳动合同法; 人社厅发〔2023〕50号",
        {
            "judged": date(2027, 1, 10),
            "duties": {
                "minimum wage": ["M6.minimum_wage"],
                "overtime premiums": ["M6.overtime_premium"],
                "arrears": ["M6.wage_arrears", "M6.paid_late", "M20.wage_arrears_enforcement"],
                "working-time limits": ["M7.daily_hours", "M7.monthly_overtime"],
                "the rest-break guideline": ["M7.rest_break"],
                "insurance duties": ["M9.work_injury_insurance", "M9.dispatched_worker_insurance"],
            },
        },
    ),
    Case(
        "X-4",
        "a statement for 2026-12 judged on 2027-01-10",
        "judged under the sources in force on the fact's dates (the measures included)",
        "—",
        {"judged": datetime(2027, 1, 10, 10, tzinfo=BUSINESS_TZ)},
    ),
]
BY_ID = {c.id: c for c in CASES}


def county(tokens, district: str | None = None) -> dict[str, str]:
    return tokens.headers(
        "department",
        subject=f"county-{district or 'none'}",
        department="county",
        **({"district": district} if district else {}),
    )


@pytest.fixture(scope="module")
async def services(new_database, kafka, tokens):
    """Every service with district-scoped views, on this module's topics."""
    prefix = unique_name("lx").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "gateway", "departments"))
    common = dict(
        kafka_bootstrap_servers=kafka.bootstrap_servers, jwt_public_key=tokens.public_pem, relay_poll_interval_s=0.2
    )
    contracts_topic = f"{prefix}-contracts.events"
    wages = WagesSettings(
        service_name=f"{prefix}-wages",
        database_url=await migrated_database(new_database, "wages"),
        contracts_topic=contracts_topic,
        deadline_poll_interval_s=3600,
        **common,
    )
    training = TrainingSettings(
        service_name=f"{prefix}-training",
        database_url=await migrated_database(new_database, "training"),
        contracts_topic=contracts_topic,
        departments_topic=f"{prefix}-departments.events",
        **common,
    )
    disputes = DisputesSettings(
        service_name=f"{prefix}-disputes",
        database_url=await migrated_database(new_database, "disputes"),
        contracts_topic=contracts_topic,
        **common,
    )
    departments = DepartmentsSettings(
        service_name=f"{prefix}-departments",
        database_url=await migrated_database(new_database, "departments"),
        contracts_topic=contracts_topic,
        **common,
    )
    gateway = gateway_settings(
        prefix, await migrated_database(new_database, "gateway"), kafka.bootstrap_servers, tokens.public_pem
    )
    await ensure_topics(kafka.bootstrap_servers, [contracts_topic])
    async with (
        running_service(create_wages_app, wages, tokens) as w,
        running_service(create_training_app, training, tokens) as t,
        running_service(create_disputes_app, disputes, tokens) as d,
        running_service(create_departments_app, departments, tokens) as dep,
        app_client(create_gateway_app(gateway)) as gw,
    ):
        yield {
            "wages": w,
            "training": t,
            "disputes": d,
            "departments": dep,
            "gateway": gw,
            "feed": EventFeed(kafka.bootstrap_servers, topics={"contracts": contracts_topic}),
        }


@pytest.mark.parametrize("case", [BY_ID["X-1"]], ids=["X-1"])
async def test_X_1_two_district_governments_never_share_an_idempotency_key(services, tokens, case):
    gw = services["gateway"]
    one, two = (county(tokens, d) for d in case.data["districts"])
    key = {"Idempotency-Key": "webhook-registration-1"}
    first = await gw.post("/v1/webhooks", headers={**one, **key}, json={"url": "http://127.0.0.1:9/alerts"})
    second = await gw.post("/v1/webhooks", headers={**two, **key}, json={"url": "http://127.0.0.1:9/alerts"})
    assert first.status_code == 201 and second.status_code == 201, (first.text, second.text)
    assert "Idempotent-Replayed" not in second.headers, case.answer
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["secret"] != second.json()["secret"]
    assert {first.json()["department"], second.json()["department"]} == {f"county:{d}" for d in case.data["districts"]}
    # Each sees its own registration only; a retry by the first still replays the first's answer.
    for headers, own, other in ((one, first, second), (two, second, first)):
        listed = (await gw.get("/v1/webhooks", headers=headers)).json()
        assert [h["id"] for h in listed] == [own.json()["id"]]
        assert other.json()["secret"] not in str(listed)
    again = await gw.post("/v1/webhooks", headers={**one, **key}, json={"url": "http://127.0.0.1:9/alerts"})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json()["id"] == first.json()["id"]


DISTRICT_SCOPED_VIEWS = {
    "wages": ["/v1/statements", "/v1/sessions", "/v1/related-units", "/v1/findings"],
    "training": ["/v1/claims", "/v1/budgets", "/v1/findings"],
    "disputes": ["/v1/complaints", "/v1/cases", "/v1/findings"],
    "departments": ["/v1/facts", "/v1/pull-sources"],
    "gateway": ["/v1/alerts", "/v1/overview", "/v1/webhooks"],
}


@pytest.mark.parametrize("case", [BY_ID["X-2"]], ids=["X-2"])
async def test_X_2_a_county_token_without_its_district_sees_nothing(services, tokens, case):
    purpose = {"X-Purpose": "legal-case-X-2"}
    for service, paths in DISTRICT_SCOPED_VIEWS.items():
        client = services[service] if service == "gateway" else services[service].client
        for path in paths:
            r = await client.get(path, headers={**county(tokens), **purpose})
            assert r.status_code == 403, (service, path, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json" and "district" in r.json()["detail"]
    # The same government with its district is let in (what it sees is the service's own business).
    for service, path in (("training", "/v1/claims"), ("disputes", "/v1/cases"), ("departments", "/v1/facts")):
        r = await services[service].client.get(path, headers={**county(tokens, "datong"), **purpose})
        assert r.status_code != 403, (service, path, r.text)


async def findings(api, rule: str, worker_id: str) -> list[dict]:
    r = await api.client.get("/v1/findings", headers=api.regulator, params={"rule": rule, "limit": 200})
    assert r.status_code == 200, r.text
    return [f for f in r.json()["items"] if f["worker_id"] == worker_id]


@pytest.mark.parametrize("case", [BY_ID["X-3"]], ids=["X-3"])
async def test_X_3_duties_the_laws_carry_are_law_after_the_measures_lapse(services, case):
    on = case.data["judged"]
    policy = get_policy()
    assert policy.measures_status(on).provisional  # the measures themselves have lapsed
    for duty, rules in case.data["duties"].items():
        for rule in rules:
            basis = policy.rule_basis(rule, on, "labor_contract")
            assert not basis.provisional and basis.statutory_basis, (duty, rule)
    # Through wages: five hours without a break on 2027-01-05, sent on 2027-01-10 — the national guideline
    # (人社厅发〔2023〕50号) carries the rest break for every engagement: not provisional.
    wages, pid, worker = services["wages"], new_platform(), new_worker()
    with frozen_at(datetime(2027, 1, 10, 9, tzinfo=BUSINESS_TZ)):
        r = await wages.client.post(
            "/v1/sessions",
            headers=wages.as_platform(pid),
            json=session_line("x3-long", worker, "2027-01-05T08:00:00+08:00", "2027-01-05T13:00:00+08:00"),
        )
        assert r.status_code == 201, r.text
    found = await findings(wages, "M7.rest_break", worker)
    assert found and all(not (f["evidence"].get("policy_basis") or {}).get("provisional") for f in found), found

    # A labour contract's January 2027 pay below the minimum wage, judged in February 2027: 劳动法 art. 48.
    feed, worker = services["feed"], new_worker()
    contract = await feed.signed(worker_id=worker, platform_id=pid, start=date(2026, 1, 1))
    with frozen_at(datetime(2027, 2, 15, 10, tzinfo=BUSINESS_TZ)):
        r = await wages.client.post(
            "/v1/statements",
            headers=wages.as_platform(pid),
            json=statement(
                "x3-january",
                contract,
                worker,
                period_start="2027-01-01",
                period_end="2027-01-31",
                due_date="2027-02-10",
                base_fen=100_000,
                gross_fen=100_000,
                paid_fen=100_000,
                paid_on="2027-02-08",
            ),
        )
        assert r.status_code == 201, r.text

        async def judged():
            return await findings(wages, "M6.minimum_wage", worker)

        [finding] = await eventually(judged, timeout=60)
    assert not (finding["evidence"].get("policy_basis") or {}).get("provisional"), finding["evidence"]


@pytest.mark.parametrize("case", [BY_ID["X-4"]], ids=["X-4"])
async def test_X_4_a_statement_is_judged_under_the_sources_of_its_own_dates(services, case):
    wages, feed = services["wages"], services["feed"]
    pid, worker = new_platform(), new_worker()
    contract = await feed.signed(worker_id=worker, platform_id=pid, start=date(2026, 1, 1))

    async def known():
        r = await wages.client.get("/v1/statements", headers=wages.as_platform(pid))
        return r.status_code == 200

    await eventually(known)
    with frozen_at(case.data["judged"]):
        r = await wages.client.post(
            "/v1/statements",
            headers=wages.as_platform(pid),
            json=statement(
                "x4-december",
                contract,
                worker,
                period_start="2026-12-01",
                period_end="2026-12-31",
                due_date="2027-01-10",
                base_fen=100_000,
                gross_fen=100_000,
                paid_fen=100_000,
                paid_on="2027-01-08",
            ),
        )
        assert r.status_code == 201, r.text
        statement_id = r.json()["statement_id"]

        async def judged():
            found = await findings(wages, "M6.minimum_wage", worker)
            return found if found and found[0]["subject_id"] == statement_id else None

        [finding] = await eventually(judged, timeout=60)
    # December 2026 lies under the measures (in force until 2026-12-21): not provisional, though judged after.
    assert not (finding["evidence"].get("policy_basis") or {}).get("provisional"), finding["evidence"]
    assert finding["evidence"]["period_start"] == "2026-12-01"
