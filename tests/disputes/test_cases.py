"""Mediation with a roster, arbitration and the court (M18), per role, with the legal clocks
fired at chosen times. Real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, date, datetime, time, timedelta

from newform_common import calendar
from newform_common.policy import BUSINESS_TZ, business_date
from newform_common.testing import fetch, resident_id, scalar, worker_id_of


def ids() -> tuple[str, str]:
    return worker_id_of(resident_id()), "p" + secrets.token_hex(5)


def today() -> date:
    return business_date(datetime.now(UTC))


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


def due(start: int, length: int) -> str:
    """The last day of a legal period of `length` days from today + `start`, by the kit's one period
    rule (a last day on a rest day or holiday moves to the next working day; exact dates are in
    test_clocks.py and tests/legal)."""
    return calendar.period_end(today() + timedelta(days=start), length).last_day.isoformat()


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BUSINESS_TZ)


def clock(case: dict, kind: str) -> dict:
    return [c for c in case["clocks"] if c["kind"] == f"disputes.{kind}"][-1]


WAGES_1_FEN = {"item": "支付拖欠工资", "kind": "labour_remuneration", "amount_fen": 1}
MEDIATOR = {
    "organisation": "城西区劳动人事争议调解委员会",
    "source": "hrss",
    "specialties": ["pay"],
    "rosters": ["labour", "court"],
    "term_from": "2024-01-01",
    "term_until": "2099-12-31",
}


async def add_mediator(api, **overrides) -> str:
    r = await api.client.post(
        "/v1/mediators",
        headers=api.department("court"),
        json={"name": "调解员" + secrets.token_hex(2), **MEDIATOR, **overrides},
    )
    assert r.status_code == 201, r.text
    return r.json()["mediator_id"]


async def open_case(
    disputes,
    worker: str,
    pid: str,
    *,
    engagement_type: str = "labor_contract",
    claims=(("拖欠工资", 680000),),
    facts=(),
    category: str = "pay",
) -> dict:
    api = disputes.api
    contract = await disputes.engagement(worker, pid, engagement_type=engagement_type)
    r = await api.client.post(
        "/v1/cases",
        headers=api.as_worker(worker),
        json={
            "category": category,
            "description": "拖欠三个月工资",
            "contract_id": contract,
            "claims": [{"item": i, "amount_fen": a} for i, a in claims],
            "facts": list(facts),
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


async def mediating(disputes, worker, pid, *, accepted_on: str | None = None, **kw) -> dict:
    api = disputes.api
    case = await open_case(disputes, worker, pid, **kw)
    r = await api.client.post(
        f"/v1/cases/{case['case_id']}/acceptance",
        headers=api.department("hrss"),
        json={"accepted_on": accepted_on} if accepted_on else {},
    )
    assert r.status_code == 200, r.text
    return r.json()


async def without_agreement(disputes, worker, pid, **kw) -> dict:
    api = disputes.api
    case = await mediating(disputes, worker, pid, **kw)
    r = await api.client.post(
        f"/v1/cases/{case['case_id']}/outcome", headers=api.department("hrss"), json={"outcome": "no_agreement"}
    )
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------------------------------------
# The roster
# ---------------------------------------------------------------------------------------------
async def test_mediation_bodies_keep_the_roster_current(api):
    mediator_id = await add_mediator(api, source="court", specialties=["pay", "safety"], rosters=["court", "labour"])
    listed = (await api.client.get("/v1/mediators", headers=api.regulator, params={"roster": "court"})).json()
    mine = [m for m in listed["items"] if m["mediator_id"] == mediator_id]
    assert mine and mine[0]["rosters"] == ["court", "labour"] and mine[0]["active"] is True
    assert mine[0]["open_cases"] == 0
    r = await api.client.patch(
        f"/v1/mediators/{mediator_id}",
        headers=api.department("union"),
        json={"active": False, "term_until": "2030-06-30"},
    )
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["term_until"] == "2030-06-30"
    active = (await api.client.get("/v1/mediators", headers=api.admin, params={"active": "true", "limit": 200})).json()[
        "items"
    ]
    assert mediator_id not in [m["mediator_id"] for m in active]
    # Not a mediation body: the market regulator cannot change the roster; a platform cannot read it.
    r = await api.client.post("/v1/mediators", headers=api.department("market"), json={"name": "某", **MEDIATOR})
    assert r.status_code == 403
    assert (await api.client.get("/v1/mediators", headers=api.as_platform("p1"))).status_code == 403
    bad = await api.client.post(
        "/v1/mediators", headers=api.admin, json={"name": "某", **MEDIATOR, "specialties": ["astrology"]}
    )
    assert bad.status_code == 422 and bad.json()["type"].endswith("unknown-specialty")
    backwards = await api.client.post(
        "/v1/mediators",
        headers=api.admin,
        json={"name": "某", **MEDIATOR, "term_from": "2025-01-01", "term_until": "2024-01-01"},
    )
    assert backwards.status_code == 422


# ---------------------------------------------------------------------------------------------
# Mediation
# ---------------------------------------------------------------------------------------------
async def test_mediation_accepted_today_runs_15_days_and_the_mediator_sees_only_assigned_cases(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await open_case(disputes, worker, pid)
    assert case["stage"] == "received" and case["track"] == "labour_arbitration"
    assert (
        await api.client.post(f"/v1/cases/{case['case_id']}/acceptance", headers=api.as_platform(pid), json={})
    ).status_code == 403
    assert (
        await api.client.post(f"/v1/cases/{case['case_id']}/acceptance", headers=api.department("market"), json={})
    ).status_code == 403
    r = await api.client.post(f"/v1/cases/{case['case_id']}/acceptance", headers=api.department("court"), json={})
    assert r.status_code == 200, r.text
    limit = clock(r.json(), "mediation_limit")
    assert r.json()["stage"] == "mediating" and limit["last_day"] == due(0, 15)
    assert limit["days_left"] == (date.fromisoformat(due(0, 15)) - today()).days

    conflicted = await add_mediator(api, conflicts=[pid])
    specialist = await add_mediator(api, specialties=["pay"])
    assigned = await api.client.post(
        f"/v1/cases/{case['case_id']}/assignment", headers=api.department("hrss"), json={"mediator_id": conflicted}
    )
    assert assigned.status_code == 409 and assigned.json()["type"].endswith("mediator-unfit")
    assigned = await api.client.post(
        f"/v1/cases/{case['case_id']}/assignment", headers=api.department("hrss"), json={"mediator_id": specialist}
    )
    assert assigned.status_code == 200 and assigned.json()["mediator_id"] == specialist

    mine = await api.client.get("/v1/cases", headers=disputes.mediator(specialist))
    assert [c["case_id"] for c in mine.json()["items"]] == [case["case_id"]]
    assert (
        await api.client.get(f"/v1/cases/{case['case_id']}", headers=disputes.mediator(conflicted))
    ).status_code == 404
    assert (await api.client.get("/v1/cases", headers=disputes.mediator(conflicted))).json()["items"] == []
    session = await api.client.post(
        f"/v1/cases/{case['case_id']}/sessions",
        headers=disputes.mediator(specialist),
        json={"held_on": days(0), "summary": "双方陈述，平台同意核对工资"},
    )
    assert session.status_code == 200 and session.json()["sessions"][0]["mediator_id"] == specialist
    other = await api.client.post(
        f"/v1/cases/{case['case_id']}/sessions",
        headers=disputes.mediator(conflicted),
        json={"held_on": days(0), "summary": "x"},
    )
    assert other.status_code == 404


async def test_a_case_not_accepted_within_3_working_days_is_a_finding(disputes):
    api = disputes.api
    worker, pid = ids()
    late = await open_case(disputes, worker, pid)
    acceptance = clock(late, "mediation_acceptance")
    assert acceptance["status"] == "pending" and acceptance["days_left"] >= 3
    in_time = await open_case(disputes, worker, pid)
    accepted = await api.client.post(
        f"/v1/cases/{in_time['case_id']}/acceptance", headers=api.department("union"), json={}
    )
    assert clock(accepted.json(), "mediation_acceptance")["status"] == "cancelled"
    fired = await disputes.fire(datetime.fromisoformat(acceptance["due_at"]) + timedelta(seconds=1))
    assert ("disputes.mediation_acceptance", late["case_id"]) in fired
    assert ("disputes.mediation_acceptance", in_time["case_id"]) not in fired
    seen = (await api.client.get(f"/v1/cases/{late['case_id']}", headers=api.regulator)).json()
    assert [f["rule"] for f in seen["findings"]] == ["M18.mediation_acceptance_overdue"]
    # Still accepted later; the finding stays.
    r = await api.client.post(f"/v1/cases/{late['case_id']}/acceptance", headers=api.department("court"), json={})
    assert r.status_code == 200 and r.json()["stage"] == "mediating"


async def test_automatic_assignment_prefers_specialty_then_the_lightest_load_and_skips_conflicts(disputes):
    api = disputes.api
    category = "insurance_injury"  # no other test's mediators specialise in it
    busy = await add_mediator(api, specialties=[category])
    idle = await add_mediator(api, specialties=[category])
    conflicted = await add_mediator(api, specialties=[category])
    worker, pid = ids()
    await api.client.patch(f"/v1/mediators/{conflicted}", headers=api.admin, json={"conflicts": [pid]})
    first = await mediating(disputes, worker, pid, category=category)
    await api.client.post(f"/v1/cases/{first['case_id']}/assignment", headers=api.admin, json={"mediator_id": busy})
    second = await mediating(disputes, worker, pid, category=category)
    r = await api.client.post(f"/v1/cases/{second['case_id']}/assignment", headers=api.admin, json={})
    assert r.status_code == 200 and r.json()["mediator_id"] == idle
    roster = {
        m["mediator_id"]: m["open_cases"]
        for m in (
            await api.client.get("/v1/mediators", headers=api.admin, params={"specialty": category, "limit": 200})
        ).json()["items"]
    }
    assert roster[busy] == 1 and roster[idle] == 1 and roster[conflicted] == 0


async def test_mediation_is_extended_once_by_at_most_15_days_with_both_parties_consent(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await mediating(disputes, worker, pid)
    url = f"/v1/cases/{case['case_id']}/mediation-extension"
    too_long = await api.client.post(
        url, headers=api.department("hrss"), json={"days": 16, "worker_consents": True, "enterprise_consents": True}
    )
    assert too_long.status_code == 422 and too_long.json()["rule"] == "M18.mediation_extension_limit"
    one_sided = await api.client.post(
        url, headers=api.department("hrss"), json={"days": 10, "worker_consents": True, "enterprise_consents": False}
    )
    assert one_sided.status_code == 422 and one_sided.json()["rule"] == "M18.mediation_extension_consent"
    stored = await scalar(api.url, "select mediation_extension_days from cases where id = :c", c=case["case_id"])
    assert stored == 0  # nothing half-stored
    ok = await api.client.post(
        url, headers=api.department("hrss"), json={"days": 15, "worker_consents": True, "enterprise_consents": True}
    )
    assert ok.status_code == 200 and clock(ok.json(), "mediation_limit")["last_day"] == due(0, 30)
    twice = await api.client.post(
        url, headers=api.department("hrss"), json={"days": 5, "worker_consents": True, "enterprise_consents": True}
    )
    assert twice.status_code == 422 and twice.json()["rule"] == "M18.mediation_extension_once"


async def test_when_the_mediation_limit_passes_the_case_becomes_eligible_for_arbitration(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await mediating(disputes, worker, pid)
    due = datetime.fromisoformat(clock(case, "mediation_limit")["due_at"])
    assert ("disputes.mediation_limit", case["case_id"]) in await disputes.fire(due + timedelta(seconds=1))
    seen = (await api.client.get(f"/v1/cases/{case['case_id']}", headers=api.as_worker(worker))).json()
    assert seen["stage"] == "no_agreement" and seen["eligible_for_arbitration"] is True
    assert clock(seen, "mediation_limit")["status"] == "fired"
    assert seen["findings"] == []  # running out of mediation time is not a breach
    events = await fetch(api.url, "select type, data from outbox where key = :k order by id", k=case["case_id"])
    reasons = [e["data"]["reason"] for e in events if e["type"] == "disputes.case.stage_changed.v2"]
    assert reasons == [e["data"]["reason"] for e in events if e["type"] == "disputes.case.stage_changed.v1"]
    assert reasons == ["opened", "accepted", "mediation_limit_passed"]


async def test_an_agreement_not_fulfilled_by_its_date_is_a_finding(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await mediating(disputes, worker, pid)
    r = await api.client.post(
        f"/v1/cases/{case['case_id']}/outcome",
        headers=api.department("hrss"),
        json={
            "outcome": "agreement",
            "terms": "平台于七日内支付拖欠工资6800元",
            "amount_fen": 680000,
            "fulfil_by": days(7),
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "agreement" and clock(r.json(), "mediation_limit")["status"] == "cancelled"
    fulfilment = clock(r.json(), "agreement_fulfilment")
    assert fulfilment["last_day"] == days(7)
    await disputes.fire(datetime.fromisoformat(fulfilment["due_at"]) + timedelta(seconds=1))
    seen = (await api.client.get(f"/v1/cases/{case['case_id']}", headers=api.as_worker(worker))).json()
    assert [f["rule"] for f in seen["findings"]] == ["M18.agreement_unfulfilled"]
    finding = (await api.client.get(f"/v1/findings/{seen['findings'][0]['finding_id']}", headers=api.regulator)).json()
    assert finding["platform_id"] == pid and finding["worker_id"] == worker and finding["measure"] == "M18"


async def test_a_fulfilled_agreement_closes_the_case_and_its_clock(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await mediating(disputes, worker, pid)
    await api.client.post(
        f"/v1/cases/{case['case_id']}/outcome",
        headers=api.department("hrss"),
        json={"outcome": "agreement", "terms": "支付6800元", "amount_fen": 680000, "fulfil_by": days(7)},
    )
    r = await api.client.post(f"/v1/cases/{case['case_id']}/fulfilment", headers=api.as_worker(worker), json={})
    assert r.status_code == 200 and r.json()["stage"] == "fulfilled" and r.json()["fulfilled_on"] == days(0)
    assert clock(r.json(), "agreement_fulfilment")["status"] == "cancelled"


async def test_bad_mediation_acts_are_clear_problems_and_store_nothing(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await open_case(disputes, worker, pid)
    url = f"/v1/cases/{case['case_id']}"
    future = await api.client.post(f"{url}/acceptance", headers=api.admin, json={"accepted_on": days(3)})
    assert future.status_code == 422 and future.json()["type"].endswith("date-in-future")
    early = await api.client.post(f"{url}/acceptance", headers=api.admin, json={"accepted_on": days(-3)})
    assert early.status_code == 422 and early.json()["type"].endswith("accepted-before-received")
    assert (
        await scalar(
            api.url,
            "select count(*) from deadlines where subject_id = :c and kind <> :k",
            c=case["case_id"],
            k="disputes.mediation_acceptance",
        )
        == 0
    )
    no_terms = await api.client.post(f"{url}/outcome", headers=api.admin, json={"outcome": "agreement"})
    assert no_terms.status_code == 422
    withdrawn = await api.client.post(f"{url}/withdrawal", headers=api.as_worker(worker))
    assert withdrawn.status_code == 200 and withdrawn.json()["stage"] == "withdrawn"
    after = await api.client.post(
        f"{url}/outcome",
        headers=api.admin,
        json={"outcome": "agreement", "terms": "支付", "amount_fen": 1, "fulfil_by": days(3)},
    )
    assert after.status_code == 409 and after.json()["type"].endswith("case-withdrawn")
    stored = (
        await fetch(api.url, "select stage, outcome, agreement_terms from cases where id = :c", c=case["case_id"])
    )[0]
    assert stored == {"stage": "withdrawn", "outcome": "withdrawal", "agreement_terms": None}
    assert (
        await scalar(
            api.url, "select count(*) from deadlines where subject_id = :c and status <> 'cancelled'", c=case["case_id"]
        )
        == 0
    )
    # Another worker cannot withdraw or even see it.
    stranger, _ = ids()
    assert (await api.client.post(f"{url}/withdrawal", headers=api.as_worker(stranger))).status_code == 404


# ---------------------------------------------------------------------------------------------
# Arbitration and the court
# ---------------------------------------------------------------------------------------------
async def test_arbitration_clocks_acceptance_award_extension_and_suspension(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await without_agreement(disputes, worker, pid, claims=(("拖欠工资", 680000), ("经济补偿", 376000)))
    url = f"/v1/cases/{case['case_id']}"
    assert (await api.client.post(f"{url}/arbitration/acceptance", headers=api.admin, json={})).status_code == 409
    applied = await api.client.post(
        f"{url}/arbitration",
        headers=api.as_worker(worker),
        json={"received_on": days(-22), "knew_of_breach_on": days(-90)},
    )
    assert applied.status_code == 200, applied.text
    body = applied.json()
    assert body["stage"] == "arbitration_requested" and body["limitation_expired"] is False
    assert clock(body, "arbitration_acceptance")["last_day"] == due(-22, 5)
    # Only the arbitration committee (HRSS) accepts; not before the application; not in the future.
    assert (
        await api.client.post(f"{url}/arbitration/acceptance", headers=api.department("court"), json={})
    ).status_code == 403
    before = await api.client.post(
        f"{url}/arbitration/acceptance", headers=api.department("hrss"), json={"accepted_on": days(-23)}
    )
    assert before.status_code == 422
    accepted = await api.client.post(
        f"{url}/arbitration/acceptance", headers=api.department("hrss"), json={"accepted_on": days(-20)}
    )
    assert accepted.status_code == 200
    assert clock(accepted.json(), "arbitration_acceptance")["status"] == "cancelled"
    assert clock(accepted.json(), "arbitration_award")["last_day"] == due(-20, 45)  # 45 days from acceptance

    suspended = await api.client.post(
        f"{url}/arbitration/suspension",
        headers=api.department("hrss"),
        json={"at": at(today() - timedelta(days=15)).isoformat()},
    )
    assert suspended.status_code == 200 and suspended.json()["suspended"] is True
    assert clock(suspended.json(), "arbitration_award")["status"] == "paused"
    award_while_suspended = await api.client.post(
        f"{url}/arbitration/award", headers=api.department("hrss"), json={"awarded_on": days(0), "items": [WAGES_1_FEN]}
    )
    assert award_while_suspended.status_code == 409
    resumed = await api.client.post(
        f"{url}/arbitration/resumption",
        headers=api.department("hrss"),
        json={"at": at(today() - timedelta(days=5)).isoformat()},
    )
    assert clock(resumed.json(), "arbitration_award")["last_day"] == due(-20, 55)  # 10 paused days do not count

    too_long = await api.client.post(f"{url}/arbitration/extension", headers=api.department("hrss"), json={"days": 20})
    assert too_long.status_code == 422 and too_long.json()["rule"] == "M18.award_extension_limit"
    extended = await api.client.post(f"{url}/arbitration/extension", headers=api.department("hrss"), json={"days": 15})
    assert clock(extended.json(), "arbitration_award")["last_day"] == due(-20, 70)
    twice = await api.client.post(f"{url}/arbitration/extension", headers=api.department("hrss"), json={"days": 1})
    assert twice.status_code == 422 and twice.json()["rule"] == "M18.award_extension_once"

    backwards = await api.client.post(
        f"{url}/arbitration/award",
        headers=api.department("hrss"),
        json={"awarded_on": days(-21), "items": [WAGES_1_FEN]},
    )
    assert backwards.status_code == 422 and backwards.json()["type"].endswith("award-before-acceptance")
    assert await scalar(api.url, "select stage from cases where id = :c", c=case["case_id"]) == "arbitration_accepted"
    awarded = await api.client.post(
        f"{url}/arbitration/award",
        headers=api.department("hrss"),
        json={
            "awarded_on": days(0),
            "items": [
                {"item": "支付拖欠工资", "kind": "labour_remuneration", "amount_fen": 680000},
                {"item": "支付经济补偿", "kind": "economic_compensation", "amount_fen": 376000},
            ],
        },
    )
    assert awarded.status_code == 200 and awarded.json()["stage"] == "awarded"
    # Each item awarded is below 12 × 1,880 yuan: the award is final for the employer.
    assert awarded.json()["award_final"] is True and awarded.json()["award_amount_fen"] == 1056000
    assert [i["final"] for i in awarded.json()["award_items"]] == [True, True]
    assert clock(awarded.json(), "arbitration_award")["status"] == "cancelled"


async def test_an_award_on_a_claim_above_12_months_of_minimum_wage_is_not_final(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await without_agreement(disputes, worker, pid, claims=(("工伤赔偿", 3_000_000),))
    url = f"/v1/cases/{case['case_id']}"
    await api.client.post(f"{url}/arbitration", headers=api.as_worker(worker), json={"knew_of_breach_on": days(-30)})
    await api.client.post(f"{url}/arbitration/acceptance", headers=api.admin, json={})
    awarded = await api.client.post(
        f"{url}/arbitration/award",
        headers=api.admin,
        json={"awarded_on": days(0), "items": [{"item": "工伤赔偿", "kind": "damages", "amount_fen": 3_000_000}]},
    )
    assert awarded.json()["award_final"] is False


async def test_an_award_given_the_deprecated_way_as_a_total_is_stored_without_a_finality_guess(disputes):
    """0.1 clients send `amount_fen`; finality is per item (art. 47), so a total alone judges none."""
    api = disputes.api
    worker, pid = ids()
    case = await without_agreement(disputes, worker, pid)
    url = f"/v1/cases/{case['case_id']}"
    await api.client.post(f"{url}/arbitration", headers=api.as_worker(worker), json={"knew_of_breach_on": days(-30)})
    await api.client.post(f"{url}/arbitration/acceptance", headers=api.admin, json={})
    both = await api.client.post(
        f"{url}/arbitration/award",
        headers=api.admin,
        json={"awarded_on": days(0), "amount_fen": 680000, "items": [WAGES_1_FEN]},
    )
    assert both.status_code == 422
    awarded = await api.client.post(
        f"{url}/arbitration/award", headers=api.admin, json={"awarded_on": days(0), "amount_fen": 680000}
    )
    assert awarded.status_code == 200, awarded.text
    assert awarded.json()["award_final"] is None and awarded.json()["award_amount_fen"] == 680000
    assert awarded.json()["award_items"] is None and awarded.json()["stage"] == "awarded"


async def test_acceptance_and_award_overdue_are_findings_routed_to_m18(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await without_agreement(disputes, worker, pid)
    url = f"/v1/cases/{case['case_id']}"
    applied = (
        await api.client.post(
            f"{url}/arbitration", headers=api.as_worker(worker), json={"knew_of_breach_on": days(-30)}
        )
    ).json()
    due = datetime.fromisoformat(clock(applied, "arbitration_acceptance")["due_at"])
    assert ("disputes.arbitration_acceptance", case["case_id"]) in await disputes.fire(due + timedelta(seconds=1))
    accepted = (await api.client.post(f"{url}/arbitration/acceptance", headers=api.department("hrss"), json={})).json()
    due = datetime.fromisoformat(clock(accepted, "arbitration_award")["due_at"])
    assert ("disputes.arbitration_award", case["case_id"]) in await disputes.fire(due + timedelta(seconds=1))
    seen = (await api.client.get(url, headers=api.as_platform(pid))).json()
    assert [f["rule"] for f in seen["findings"]] == ["M18.arbitration_acceptance_overdue", "M18.award_overdue"]
    assert {f["measure"] for f in seen["findings"]} == {"M18"}


async def test_the_limitation_is_checked_on_the_claim(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await without_agreement(disputes, worker, pid)
    r = await api.client.post(
        f"/v1/cases/{case['case_id']}/arbitration",
        headers=api.as_worker(worker),
        json={"knew_of_breach_on": days(-400)},
    )
    assert r.status_code == 200 and r.json()["limitation_expired"] is True
    knew = today() - timedelta(days=400)
    anniversary = knew.replace(year=knew.year + 1)  # the last day (民法典 art. 202), past a rest day (art. 203)
    assert r.json()["limitation_ends_on"] == calendar.period_end(knew, (anniversary - knew).days).last_day.isoformat()
    # The mediation application of today came after the year ran out: it interrupts nothing.
    assert r.json()["limitation_runs_from"] == knew.isoformat()


async def test_classified_handling_a_civil_dispute_goes_to_the_court_unless_its_facts_raise_the_question(disputes):
    api = disputes.api
    worker, pid = ids()
    civil = await without_agreement(disputes, worker, pid, engagement_type="work_agreement")
    assert civil["track"] == "people_mediation_court" and civil["misclassification_question"] is False
    r = await api.client.post(
        f"/v1/cases/{civil['case_id']}/arbitration",
        headers=api.as_worker(worker),
        json={"knew_of_breach_on": days(-30)},
    )
    assert r.status_code == 422 and r.json()["rule"] == "M18.classified_handling"
    assert await scalar(api.url, "select stage from cases where id = :c", c=civil["case_id"]) == "no_agreement"
    court = await api.client.post(f"/v1/cases/{civil['case_id']}/court-referral", headers=api.as_worker(worker))
    assert court.status_code == 200 and court.json()["stage"] == "court_referred"

    facts = ("enterprise_sets_rules_and_discipline", "enterprise_controls_schedule", "work_is_core_business")
    questioned = await without_agreement(disputes, worker, pid, engagement_type="civil", facts=facts)
    assert questioned["misclassification_question"] is True
    r = await api.client.post(
        f"/v1/cases/{questioned['case_id']}/arbitration",
        headers=api.as_worker(worker),
        json={"knew_of_breach_on": days(-30)},
    )
    assert r.status_code == 200 and r.json()["stage"] == "arbitration_requested"
    labour = await without_agreement(disputes, worker, pid)
    assert (
        await api.client.post(f"/v1/cases/{labour['case_id']}/court-referral", headers=api.as_worker(worker))
    ).status_code == 409


async def test_a_worker_asks_for_legal_aid_once(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await open_case(disputes, worker, pid)
    r = await api.client.post(f"/v1/cases/{case['case_id']}/legal-aid", headers=api.as_worker(worker))
    assert r.status_code == 200 and r.json()["legal_aid_requested_at"] is not None
    assert (
        await api.client.post(f"/v1/cases/{case['case_id']}/legal-aid", headers=api.as_worker(worker))
    ).status_code == 409
    assert (
        await api.client.post(f"/v1/cases/{case['case_id']}/legal-aid", headers=api.as_platform(pid))
    ).status_code == 403
    events = await fetch(
        api.url,
        "select data from outbox where type = 'disputes.legal_aid.requested.v1' and key = :k",
        k=case["case_id"],
    )
    assert events[0]["data"]["department"] == "justice"


async def test_changed_claims_restart_the_award_clock_from_the_day_of_the_change(disputes):
    api = disputes.api
    worker, pid = ids()
    case = await without_agreement(disputes, worker, pid)
    url = f"/v1/cases/{case['case_id']}"
    await api.client.post(
        f"{url}/arbitration",
        headers=api.as_worker(worker),
        json={"received_on": days(-12), "knew_of_breach_on": days(-30)},
    )
    await api.client.post(f"{url}/arbitration/acceptance", headers=api.admin, json={"accepted_on": days(-10)})
    before = await api.client.post(
        f"{url}/arbitration/restart", headers=api.admin, json={"reason": "party_added", "on": days(-11)}
    )
    assert before.status_code == 422 and before.json()["type"].endswith("restart-before-acceptance")
    r = await api.client.post(
        f"{url}/arbitration/restart",
        headers=api.department("hrss"),
        json={
            "reason": "claims_changed",
            "on": days(-2),
            "claims": [{"item": "拖欠工资", "amount_fen": 680000}, {"item": "加班费", "amount_fen": 120000}],
        },
    )
    assert r.status_code == 200, r.text
    assert clock(r.json(), "arbitration_award")["last_day"] == due(-2, 45)  # 45 days from the change
    assert r.json()["claims_total_fen"] == 800000 and r.json()["arbitration_accepted_on"] == days(-10)
    assert (
        await api.client.post(
            f"{url}/arbitration/restart", headers=api.as_worker(worker), json={"reason": "party_added", "on": days(0)}
        )
    ).status_code == 403


# ---------------------------------------------------------------------------------------------
# Facts entered after their clock ran out (paper records), without the deadline worker
# ---------------------------------------------------------------------------------------------
async def test_a_late_acceptance_entered_before_the_clock_fired_is_still_a_finding(quiet_disputes):
    api = quiet_disputes.api
    worker, pid = ids()
    contract = await quiet_disputes.engagement(worker, pid)

    async def received(on: str) -> dict:
        r = await api.client.post(
            "/v1/cases",
            headers=api.as_worker(worker),
            json={"category": "pay", "contract_id": contract, "received_on": on},
        )
        assert r.status_code == 201, r.text
        return r.json()

    late, in_time = await received(days(-20)), await received(days(-20))
    r = await api.client.post(f"/v1/cases/{late['case_id']}/acceptance", headers=api.department("union"), json={})
    assert r.status_code == 200 and clock(r.json(), "mediation_acceptance")["status"] == "fired"
    [finding] = r.json()["findings"]
    detail = (await api.client.get(f"/v1/findings/{finding['finding_id']}", headers=api.regulator)).json()
    assert detail["rule"] == "M18.mediation_acceptance_overdue" and detail["subject_type"] == "mediation_body"
    assert detail["evidence"]["responsible_department"] == "union"  # the body that accepted it answers for it
    assert detail["platform_id"] is None and detail["worker_id"] == worker
    r = await api.client.post(
        f"/v1/cases/{in_time['case_id']}/acceptance", headers=api.department("hrss"), json={"accepted_on": days(-19)}
    )
    assert r.status_code == 200 and clock(r.json(), "mediation_acceptance")["status"] == "cancelled"
    assert r.json()["findings"] == []

    # An agreement signed on paper 15 days ago, due 5 days ago, entered today: accepted; its clock runs out.
    r = await api.client.post(
        f"/v1/cases/{in_time['case_id']}/outcome",
        headers=api.department("hrss"),
        json={
            "outcome": "agreement",
            "on": days(-15),
            "terms": "支付3480元",
            "amount_fen": 348000,
            "fulfil_by": days(-5),
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "agreement" and r.json()["eligible_for_arbitration"] is True  # unfulfilled (art. 15)
    backwards = await api.client.post(
        f"/v1/cases/{late['case_id']}/outcome",
        headers=api.department("union"),
        json={"outcome": "agreement", "on": days(0), "terms": "x", "amount_fen": 1, "fulfil_by": days(-1)},
    )
    assert backwards.status_code == 422 and backwards.json()["type"].endswith("fulfil-by-before-agreement")
    before = await api.client.post(
        f"/v1/cases/{late['case_id']}/outcome",
        headers=api.department("union"),
        json={"outcome": "no_agreement", "on": days(-1)},
    )  # accepted today
    assert before.status_code == 422 and before.json()["type"].endswith("outcome-before-acceptance")
    # Entered after its day: the clock shows the agreed day, and waits to the end of the day of entry
    # for a fulfilment recorded with its own day before it fires.
    fulfilment = clock(r.json(), "agreement_fulfilment")
    assert fulfilment["last_day"] == days(-5) and fulfilment["status"] == "pending"
    assert datetime.fromisoformat(fulfilment["due_at"]) == at(today() + timedelta(days=1), 0)
    assert ("disputes.agreement_fulfilment", in_time["case_id"]) not in await quiet_disputes.fire(datetime.now(UTC))
    fired = await quiet_disputes.fire(datetime.fromisoformat(fulfilment["due_at"]) + timedelta(seconds=1))
    assert ("disputes.agreement_fulfilment", in_time["case_id"]) in fired
    seen = (await api.client.get(f"/v1/cases/{in_time['case_id']}", headers=api.regulator)).json()
    assert [f["rule"] for f in seen["findings"]] == ["M18.agreement_unfulfilled"]


async def test_a_deactivated_mediators_open_cases_are_reassigned_or_flagged_with_a_deadline(quiet_disputes):
    api = quiet_disputes.api
    worker, pid = ids()
    leaving = await add_mediator(api, specialties=["deposits_fees"])
    taking_over = await add_mediator(api, specialties=["deposits_fees"])
    case = await mediating(quiet_disputes, worker, pid, category="deposits_fees")
    url = f"/v1/cases/{case['case_id']}"
    assert (
        await api.client.post(f"{url}/assignment", headers=api.admin, json={"mediator_id": leaving})
    ).status_code == 200
    r = await api.client.patch(f"/v1/mediators/{leaving}", headers=api.department("court"), json={"active": False})
    assert r.status_code == 200 and r.json()["reassigned"] == [
        {"case_id": case["case_id"], "mediator_id": taking_over, "needed_by": None}
    ]
    assert (await api.client.get(url, headers=api.admin)).json()["mediator_id"] == taking_over

    # Nobody fit is left: the case is flagged, and a mediation body must assign one in 3 working days.
    active = (await api.client.get("/v1/mediators", headers=api.admin, params={"active": "true", "limit": 200})).json()[
        "items"
    ]
    for mediator in active:
        if mediator["mediator_id"] != taking_over:
            await api.client.patch(
                f"/v1/mediators/{mediator['mediator_id']}", headers=api.admin, json={"active": False}
            )
    r = await api.client.patch(f"/v1/mediators/{taking_over}", headers=api.admin, json={"term_until": days(-1)})
    needed_by = calendar.period_end(today(), 3, "working_days").last_day.isoformat()
    assert r.status_code == 200 and r.json()["reassigned"] == [
        {"case_id": case["case_id"], "mediator_id": None, "needed_by": needed_by}
    ]
    seen = (await api.client.get(url, headers=api.admin)).json()
    assert seen["mediator_id"] is None and seen["mediator_needed_since"] == days(0)
    reassignment = clock(seen, "mediator_reassignment")
    assert reassignment["last_day"] == needed_by and reassignment["status"] == "pending"
    fired = await quiet_disputes.fire(datetime.fromisoformat(reassignment["due_at"]) + timedelta(seconds=1))
    assert ("disputes.mediator_reassignment", case["case_id"]) in fired
    seen = (await api.client.get(url, headers=api.admin)).json()
    [finding] = [f for f in seen["findings"] if f["rule"] == "M18.mediator_not_reassigned"]
    detail = (await api.client.get(f"/v1/findings/{finding['finding_id']}", headers=api.regulator)).json()
    assert detail["subject_type"] == "mediation_body" and detail["evidence"]["responsible_department"] == "hrss"
    # A new mediator on the roster takes it; the flag goes.
    fresh = await add_mediator(api, specialties=["deposits_fees"])
    r = await api.client.post(f"{url}/assignment", headers=api.department("hrss"), json={})
    assert r.status_code == 200 and r.json()["mediator_id"] == fresh and r.json()["mediator_needed_since"] is None


async def test_a_paper_application_entered_late_waits_for_the_committees_decision_of_its_day(disputes):
    """The deadline worker runs: an application received 20 days ago is entered today; the committee
    refused it in time (2 days after receipt) and enters that too. No "acceptance overdue"."""
    api = disputes.api
    worker, pid = ids()
    r = await api.client.post(
        "/v1/cases",
        headers=api.as_worker(worker),
        json={
            "category": "pay",
            "platform_id": pid,
            "arbitration": {"received_on": days(-20), "knew_of_breach_on": days(-60)},
        },
    )
    assert r.status_code == 201, r.text
    acceptance = clock(r.json(), "arbitration_acceptance")
    assert acceptance["last_day"] == due(-20, 5) and acceptance["status"] == "pending"
    await asyncio.sleep(1)  # several polls of the deadline worker
    refused = await api.client.post(
        f"/v1/cases/{r.json()['case_id']}/arbitration/refusal",
        headers=api.department("hrss"),
        json={"refused_on": days(-18), "reason": "不属于劳动争议"},
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["findings"] == [] and clock(refused.json(), "arbitration_acceptance")["status"] == "cancelled"
    assert refused.json()["court_route_open"] is True
