"""Disputes (D-1 … D-9 of ../shared/legal/cases.md): the law's answers, through the public API.

A disputes service and a gateway run on real PostgreSQL and Kafka (the disputes service publishing to
this module's topics, the gateway reading them). The suite's clock stands on each case's days
(`clock.frozen_at`): applications received on paper are entered later, with the day they were
received. The deadline worker is off, so a clock fires only when a test fires it, at a chosen time
(as the deadline worker would then).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import pytest

from newform_common import clock
from newform_common.db import Database
from newform_common.deadlines import fire_due
from newform_common.testing import (
    ServiceApi,
    eventually,
    fetch,
    resident_id,
    scalar,
    worker_id_of,
)
from newform_disputes.handlers import DEADLINE_HANDLERS

from .disputes_support import disputes_and_gateway
from .oracle import CASES, on


def clock_of(case: dict, kind: str) -> dict:
    return [c for c in case["clocks"] if c["kind"] == f"disputes.{kind}"][-1]


@dataclass
class Stack:
    disputes: ServiceApi
    gateway: ServiceApi

    def worker(self) -> tuple[str, dict[str, str]]:
        worker_id = worker_id_of(resident_id())
        return worker_id, self.disputes.as_worker(worker_id)

    async def fire(self, at: datetime) -> set[tuple[str, str]]:
        """Fire every clock due at `at`, as the deadline worker would then: (kind, subject) of each."""
        # The service's own name: its findings go to this module's topic, where the gateway reads them.
        db = Database(self.disputes.url, service=self.disputes.settings.service_name, domain="disputes")
        try:
            return {(d.kind, d.subject_id) for d in await fire_due(db, DEADLINE_HANDLERS, now=at)}
        finally:
            await db.dispose()


@pytest.fixture(scope="module")
async def stack(new_database, kafka, tokens):
    async with disputes_and_gateway(new_database, kafka, tokens, "lgd") as (disputes, gateway):
        yield Stack(disputes=disputes, gateway=gateway)


def platform() -> str:
    return "p" + secrets.token_hex(5)


async def mediation(stack: Stack, headers: dict, received_on: str, *, pid: str | None = None, **extra) -> dict:
    """A mediation application received on `received_on` (entered today: a paper one, later)."""
    r = await stack.disputes.client.post(
        "/v1/cases",
        headers=headers,
        json={
            "category": "pay",
            "description": "拖欠工资（纸质申请，事后录入）",
            "platform_id": pid or platform(),
            "received_on": received_on,
            "claims": [{"item": "拖欠工资", "amount_fen": 3_000_000}],
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


async def arbitration_without_mediation(
    stack: Stack,
    headers: dict,
    received_on: str,
    *,
    pid: str | None = None,
    claims: tuple = (("拖欠工资", 3_000_000),),
    **extra,
) -> dict:
    r = await stack.disputes.client.post(
        "/v1/cases",
        headers=headers,
        json={
            "category": "pay",
            "description": "直接申请劳动仲裁",
            "platform_id": pid or platform(),
            "claims": [{"item": item, "amount_fen": amount} for item, amount in claims],
            "arbitration": {"received_on": received_on, "knew_of_breach_on": "2025-07-01"},
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


async def apply(stack: Stack, headers: dict, case_id: str, received_on: str, knew: str = "2025-06-01"):
    return await stack.disputes.client.post(
        f"/v1/cases/{case_id}/arbitration",
        headers=headers,
        json={"received_on": received_on, "knew_of_breach_on": knew},
    )


async def awarded(stack: Stack, items: list[dict], *, claims: tuple = (("拖欠工资", 3_000_000),)) -> dict:
    """An arbitration received 2025-08-01, accepted 2025-08-05, awarded 2025-09-10 with `items`."""
    hrss = stack.disputes.department("hrss")
    _, headers = stack.worker()
    with clock.frozen_at(on("2025-09-10")):
        case = await arbitration_without_mediation(stack, headers, "2025-08-01", claims=claims)
        url = f"/v1/cases/{case['case_id']}/arbitration"
        accepted = await stack.disputes.client.post(
            f"{url}/acceptance", headers=hrss, json={"accepted_on": "2025-08-05"}
        )
        assert accepted.status_code == 200, accepted.text
        r = await stack.disputes.client.post(
            f"{url}/award", headers=hrss, json={"awarded_on": "2025-09-10", "items": items}
        )
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------------------------------------
# Leaving mediation for arbitration (arts. 5, 14)
# ---------------------------------------------------------------------------------------------
async def test_D_1_fifteen_days_from_receipt_open_arbitration_though_mediation_never_accepted(stack):
    case_ = CASES["D-1"]
    worker, headers = stack.worker()
    with clock.frozen_at(on("2025-07-25")):  # entered weeks after the paper application was received
        future = await stack.disputes.client.post(
            "/v1/cases",
            headers=headers,
            json={"category": "pay", "description": "x", "platform_id": platform(), "received_on": "2025-07-26"},
        )
        assert future.status_code == 422 and future.json()["type"].endswith("date-in-future")
        case = await mediation(stack, headers, "2025-07-01")
        assert case["received_on"] == "2025-07-01" and case["stage"] == "received"
        assert case["arbitration_open_from"] == "2025-07-17", case_.answer
        assert case["eligible_for_arbitration"] is True
        # The acceptance clock counts from receipt, not from entry: 3 working days → 2025-07-04.
        assert clock_of(case, "mediation_acceptance")["last_day"] == "2025-07-04"
        early = await apply(stack, headers, case["case_id"], "2025-07-16")
        assert early.status_code == 409 and early.json()["type"].endswith("not-eligible-for-arbitration")
        assert "2025-07-17" in early.json()["detail"]
        r = await apply(stack, headers, case["case_id"], "2025-07-17")
    assert r.status_code == 200, r.text
    applied = r.json()
    assert applied["stage"] == "arbitration_requested" and applied["arbitration_received_on"] == "2025-07-17"
    assert clock_of(applied, "mediation_acceptance")["status"] == "fired"
    # The body never accepted it: that is a finding about the body, not a bar to the worker.
    [finding] = applied["findings"]
    assert finding["rule"] == "M18.mediation_acceptance_overdue"
    detail = (
        await stack.disputes.client.get(f"/v1/findings/{finding['finding_id']}", headers=stack.disputes.regulator)
    ).json()
    assert detail["subject_type"] == "mediation_body" and detail["platform_id"] is None
    assert detail["evidence"]["responsible_department"] == "hrss"


async def test_D_2_after_withdrawing_from_mediation_the_worker_applies_for_arbitration_at_once(stack):
    case_ = CASES["D-2"]
    worker, headers = stack.worker()
    with clock.frozen_at(on("2025-07-03")):
        case = await mediation(stack, headers, "2025-07-02")
        accepted = await stack.disputes.client.post(
            f"/v1/cases/{case['case_id']}/acceptance",
            headers=stack.disputes.department("union"),
            json={"accepted_on": "2025-07-03"},
        )
        assert accepted.status_code == 200 and accepted.json()["stage"] == "mediating"
        assert accepted.json()["eligible_for_arbitration"] is False  # mediating, 1 day after receipt
        assert (await apply(stack, headers, case["case_id"], "2025-07-03")).status_code == 409
        withdrawn = await stack.disputes.client.post(f"/v1/cases/{case['case_id']}/withdrawal", headers=headers)
        assert withdrawn.status_code == 200 and withdrawn.json()["eligible_for_arbitration"] is True, case_.answer
        r = await apply(stack, headers, case["case_id"], "2025-07-03")
    assert r.status_code == 200 and r.json()["stage"] == "arbitration_requested", case_.answer
    assert clock_of(r.json(), "mediation_limit")["status"] == "cancelled"
    assert r.json()["findings"] == []  # accepted in time, withdrawn: nobody was late


async def test_D_3_arbitration_without_any_mediation_is_allowed(stack):
    case_ = CASES["D-3"]
    worker, headers = stack.worker()
    with clock.frozen_at(on("2025-08-04")):
        case = await arbitration_without_mediation(stack, headers, "2025-08-01")
    assert case["stage"] == "arbitration_requested", case_.answer
    assert case["received_on"] is None and case["arbitration_received_on"] == "2025-08-01"
    assert [c["kind"] for c in case["clocks"]] == ["disputes.arbitration_acceptance"]  # no mediation clock
    assert clock_of(case, "arbitration_acceptance")["last_day"] == "2025-08-06"
    events = await fetch(
        stack.disputes.url,
        "select data from outbox where key = :k and type = :t",
        k=case["case_id"],
        t="disputes.case.stage_changed.v2",
    )
    assert [(e["data"]["previous_stage"], e["data"]["stage"], e["data"]["reason"]) for e in events] == [
        (None, "arbitration_requested", "applied_without_mediation")
    ]
    # Mediation fields belong to mediation: a case opened for arbitration has none.
    both = await stack.disputes.client.post(
        "/v1/cases",
        headers=headers,
        json={
            "category": "pay",
            "platform_id": platform(),
            "received_on": "2025-08-01",
            "arbitration": {"knew_of_breach_on": "2025-07-01"},
        },
    )
    assert both.status_code == 422


# ---------------------------------------------------------------------------------------------
# The committee's refusal (art. 29)
# ---------------------------------------------------------------------------------------------
async def test_D_4_a_refusal_in_time_is_no_breach_and_opens_the_court(stack):
    case_ = CASES["D-4"]
    hrss = stack.disputes.department("hrss")
    worker, headers = stack.worker()
    with clock.frozen_at(on("2025-08-01")):
        case = await arbitration_without_mediation(stack, headers, "2025-08-01")
        undecided = await arbitration_without_mediation(stack, headers, "2025-08-01")
    url = f"/v1/cases/{case['case_id']}/arbitration/refusal"
    with clock.frozen_at(on("2025-08-03")):
        assert (
            await stack.disputes.client.post(
                url, headers=stack.disputes.department("court"), json={"refused_on": "2025-08-03", "reason": "x"}
            )
        ).status_code == 403  # only the committee (hrss)
        future = await stack.disputes.client.post(url, headers=hrss, json={"refused_on": "2025-08-04", "reason": "x"})
        assert future.status_code == 422
        r = await stack.disputes.client.post(
            url,
            headers=hrss,
            json={"refused_on": "2025-08-03", "reason": "申请人与被申请人之间的争议不属于劳动人事争议仲裁受理范围"},
        )
    assert r.status_code == 200, r.text
    refused = r.json()
    assert refused["stage"] == "arbitration_refused" and refused["arbitration_refused_on"] == "2025-08-03"
    assert clock_of(refused, "arbitration_acceptance")["status"] == "cancelled"
    assert refused["court_route_open"] is True, case_.answer

    # Past the acceptance time: only the undecided application's clock fires.
    fired = await stack.fire(on("2025-08-07", 1))
    assert ("disputes.arbitration_acceptance", case["case_id"]) not in fired
    assert ("disputes.arbitration_acceptance", undecided["case_id"]) in fired
    seen = (await stack.disputes.client.get(f"/v1/cases/{case['case_id']}", headers=headers)).json()
    assert seen["findings"] == [], case_.answer  # no "acceptance overdue"
    late = (await stack.disputes.client.get(f"/v1/cases/{undecided['case_id']}", headers=headers)).json()
    assert [f["rule"] for f in late["findings"]] == ["M18.arbitration_acceptance_overdue"]
    # No decision in time opens the court too (art. 29).
    with clock.frozen_at(on("2025-08-07")):
        assert (await stack.disputes.client.get(f"/v1/cases/{undecided['case_id']}", headers=headers)).json()[
            "court_route_open"
        ] is True
        court = await stack.disputes.client.post(f"/v1/cases/{case['case_id']}/court-referral", headers=headers)
    assert court.status_code == 200 and court.json()["stage"] == "court_referred", case_.answer


# ---------------------------------------------------------------------------------------------
# The limitation (art. 27)
# ---------------------------------------------------------------------------------------------
async def test_D_5_a_mediation_application_interrupts_the_limitation(stack):
    case_ = CASES["D-5"]
    worker, headers = stack.worker()
    with clock.frozen_at(on("2025-07-15")):
        case = await mediation(stack, headers, "2025-06-20")
        r = await apply(stack, headers, case["case_id"], "2025-07-15", knew="2024-07-01")
    assert r.status_code == 200, r.text
    applied = r.json()
    assert applied["limitation_expired"] is False, case_.answer
    assert applied["limitation_runs_from"] == "2025-06-20", case_.answer
    # A year from 2025-06-20 ends on Saturday 2026-06-20, in the Dragon Boat break: the next working day.
    assert applied["limitation_ends_on"] == "2026-06-22"
    # The same breach without the interruption (arbitration without mediation): the year ended on 2025-07-01.
    direct = await stack.disputes.client.post(
        "/v1/cases",
        headers=headers,
        json={
            "category": "pay",
            "platform_id": platform(),
            "arbitration": {"received_on": "2025-07-15", "knew_of_breach_on": "2024-07-01"},
        },
    )
    assert direct.json()["limitation_expired"] is True and direct.json()["limitation_ends_on"] == "2025-07-01"
    # A written demand to the employer interrupts too (an off-system fact, entered with its day).
    demanded = await stack.disputes.client.post(
        "/v1/cases",
        headers=headers,
        json={
            "category": "pay",
            "platform_id": platform(),
            "arbitration": {
                "received_on": "2025-07-15",
                "knew_of_breach_on": "2024-07-01",
                "interrupted_on": ["2025-05-10"],
            },
        },
    )
    assert demanded.json()["limitation_expired"] is False and demanded.json()["limitation_runs_from"] == "2025-05-10"


# ---------------------------------------------------------------------------------------------
# Finality of the award (art. 47)
# ---------------------------------------------------------------------------------------------
async def test_D_6_finality_is_judged_on_each_item_awarded_not_on_the_claim(stack):
    case_ = CASES["D-6"]
    award = await awarded(stack, [{"item": "支付拖欠工资", "kind": "labour_remuneration", "amount_fen": 1_000_000}])
    assert award["claims_total_fen"] == 3_000_000  # the claim exceeds 12 × 1,880 yuan ...
    assert award["award_final"] is True, case_.answer  # ... the item awarded does not
    assert award["award_items"] == [
        {
            "item": "支付拖欠工资",
            "kind": "labour_remuneration",
            "amount_fen": 1_000_000,
            "final": True,
            "basis": "劳动争议调解仲裁法 art. 47(1); 法释〔2020〕26号",
        }
    ]
    # An item above 22,560 yuan is not final, and an award mixing both is not final as a whole (art. 20).
    mixed = await awarded(
        stack,
        [
            {"item": "支付拖欠工资", "kind": "labour_remuneration", "amount_fen": 2_256_000},
            {"item": "支付赔偿金", "kind": "damages", "amount_fen": 2_256_001},
        ],
    )
    assert [i["final"] for i in mixed["award_items"]] == [True, False] and mixed["award_final"] is False


async def test_D_7_an_award_on_working_hours_and_rest_is_final_of_any_amount(stack):
    case_ = CASES["D-7"]
    award = await awarded(
        stack,
        [
            {"item": "支付延长工作时间工资报酬", "kind": "working_hours", "amount_fen": 9_000_000},
            {"item": "安排补休", "kind": "rest_and_leave"},
        ],
    )
    assert award["award_final"] is True, case_.answer
    assert {i["basis"] for i in award["award_items"]} == {"劳动争议调解仲裁法 art. 47(2)"}


async def test_D_8_confirming_a_labour_relationship_is_not_final(stack):
    case_ = CASES["D-8"]
    award = await awarded(stack, [{"item": "确认双方存在劳动关系", "kind": "labour_relationship"}], claims=())
    assert award["award_final"] is False, case_.answer
    assert award["award_items"][0]["final"] is False and award["award_amount_fen"] == 0
    # Bad items are clear problems: an unknown kind; a pay item without its amount.
    hrss = stack.disputes.department("hrss")
    _, headers = stack.worker()
    with clock.frozen_at(on("2025-09-10")):
        case = await arbitration_without_mediation(stack, headers, "2025-08-01")
        url = f"/v1/cases/{case['case_id']}/arbitration"
        await stack.disputes.client.post(f"{url}/acceptance", headers=hrss, json={"accepted_on": "2025-08-05"})
        unknown = await stack.disputes.client.post(
            f"{url}/award",
            headers=hrss,
            json={"awarded_on": "2025-09-10", "items": [{"item": "x", "kind": "astrology", "amount_fen": 1}]},
        )
        no_amount = await stack.disputes.client.post(
            f"{url}/award",
            headers=hrss,
            json={"awarded_on": "2025-09-10", "items": [{"item": "工资", "kind": "labour_remuneration"}]},
        )
    assert unknown.status_code == 422 and unknown.json()["type"].endswith("unknown-award-item-kind")
    assert no_amount.status_code == 422 and no_amount.json()["type"].endswith("award-item-amount")
    assert (
        await scalar(stack.disputes.url, "select stage from cases where id = :c", c=case["case_id"])
        == "arbitration_accepted"
    )


# ---------------------------------------------------------------------------------------------
# A body's own lateness (through Kafka to the gateway)
# ---------------------------------------------------------------------------------------------
async def test_D_9_the_committees_lateness_goes_to_its_department_not_the_platform(stack):
    case_ = CASES["D-9"]
    gateway, pid = stack.gateway, platform()
    platform_hook = await gateway.client.post(
        "/v1/webhooks", headers=gateway.as_platform(pid), json={"url": "http://127.0.0.1:9/platform"}
    )
    hrss_hook = await gateway.client.post(
        "/v1/webhooks", headers=gateway.department("hrss"), json={"url": "http://127.0.0.1:9/hrss"}
    )
    assert platform_hook.status_code == 201 and hrss_hook.status_code == 201, platform_hook.text
    worker, headers = stack.worker()
    with clock.frozen_at(on("2025-08-01")):
        case = await arbitration_without_mediation(
            stack, headers, "2025-08-01", pid=pid, occupation="ride_hailing", district="chengbei"
        )
    assert ("disputes.arbitration_acceptance", case["case_id"]) in await stack.fire(on("2025-08-07", 1))

    async def alert():
        items = (await gateway.client.get("/v1/alerts", headers=gateway.regulator, params={"limit": 500})).json()[
            "items"
        ]
        found = [a for a in items if a["subject_id"] == case["case_id"]]
        return found[0] if found else None

    found = await eventually(alert, timeout=60)
    assert found["rule"] == "M18.arbitration_acceptance_overdue" and found["subject_type"] == "arbitration_committee"
    assert found["departments"] == ["hrss"], case_.answer  # not court/justice/county, not transport
    assert found["lead_department"] == "hrss" and found["platform_id"] is None
    deliveries = await fetch(
        gateway.url, "select webhook_id from webhook_deliveries where alert_id = :a", a=found["alert_id"]
    )
    assert [d["webhook_id"] for d in deliveries] == [hrss_hook.json()["id"]], case_.answer
    # The platform's sector regulator (ride hailing: transport) neither sees nor decides it; hrss does.
    transport = gateway.department("transport")
    listed = (await gateway.client.get("/v1/alerts", headers=transport, params={"limit": 500})).json()["items"]
    assert found["alert_id"] not in [a["alert_id"] for a in listed], case_.answer
    path = f"/v1/alerts/{found['alert_id']}/resolve"
    assert (
        await gateway.client.post(path, headers=transport, json={"outcome": "confirmed", "note": "x"})
    ).status_code in (403, 404)
    assert (
        await gateway.client.post(path, headers=gateway.department("court"), json={"outcome": "confirmed", "note": "x"})
    ).status_code in (403, 404)
    r = await gateway.client.post(
        path,
        headers=gateway.department("hrss"),
        json={"outcome": "confirmed", "note": "仲裁委逾期未作出受理决定，已督办"},
    )
    assert r.status_code == 200, r.text
    after = await fetch(
        gateway.url, "select webhook_id from webhook_deliveries where alert_id = :a", a=found["alert_id"]
    )
    assert {d["webhook_id"] for d in after} == {hrss_hook.json()["id"]}  # the resolution: hrss only
