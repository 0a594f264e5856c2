"""The contracts API through HTTP against real PostgreSQL (migrations run first).

Tests run in file order; the last one checks every response this module saw for unmasked ID numbers.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date
from urllib.parse import quote

import pytest

from newform_common.testing import unique_name
from newform_contracts import shared
from newform_contracts.restrictions import service as restrictions
from newform_contracts.rules_register import service as rules_register
from newform_contracts.workers import service as workers

from ..kit.contracts import AGREEMENT_FACTS, CIVIL_FACTS, credit_code, execute, resident_id, scalar, terms


async def counts(api) -> tuple[int, int, int]:
    return (
        await scalar(api.url, "select count(*) from contracts"),
        await scalar(api.url, "select count(*) from outbox"),
        await scalar(api.url, "select count(*) from findings"),
    )


@pytest.fixture(scope="module")
async def world(api):
    """Two platforms, each with a worker, and platform A with partners of each kind."""
    a, b = await api.platform(), await api.platform()
    wa, wb = await api.worker(a), await api.worker(b)
    api.raw_ids.update({wa["raw_id_number"], wb["raw_id_number"]})
    return {
        "a": a,
        "b": b,
        "wa": wa,
        "wb": wb,
        "agency": await api.partner(a, "dispatch_agency"),
        "outsourcer": await api.partner(a, "outsourcer", qualified=True),
    }


# ---------------------------------------------------------------------------------------------
# Enterprises and workers
# ---------------------------------------------------------------------------------------------
async def test_only_the_regulator_registers_platforms_and_credit_codes_are_checked(api):
    body = {
        "platform_id": "shadow",
        "name": "x",
        "credit_code": credit_code(),
        "district": "chengdong",
        "occupations": ["courier"],
    }
    denied = await api.client.post("/v1/platforms", headers=api.as_platform("shadow"), json=body)
    assert denied.status_code == 403
    bad = await api.client.post(
        "/v1/platforms",
        headers=api.regulator,
        json={
            **body,
            "credit_code": body["credit_code"][:-1] + "0"
            if body["credit_code"][-1] != "0"
            else body["credit_code"][:-1] + "1",
        },
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    ok = await api.client.post("/v1/platforms", headers=api.regulator, json={**body, "platform_id": "shadow2"})
    assert ok.status_code == 201 and ok.json()["kind"] == "platform" and ok.json()["platform_id"] == "shadow2"


async def test_same_person_on_two_platforms_is_one_pseudonymous_worker_with_masked_data(api, world):
    id_number = resident_id()
    api.raw_ids.add(id_number)
    on_a = await api.worker(world["a"], id_number=id_number)
    on_b = await api.worker(world["b"], id_number=id_number.lower())
    assert on_a["worker_id"] == on_b["worker_id"] and on_a["worker_id"].startswith("w_")
    assert on_a["registration_id"] != on_b["registration_id"]
    assert on_a["id_number"] == id_number[:3] + "*" * 11 + id_number[-4:]
    assert on_a["phone"] != on_a["raw_phone"] and on_a["name"] == "张**"
    assert on_a["household_registration_region"] == id_number[:6]
    assert await scalar(api.url, "select count(*) from workers where worker_id = :w", w=on_a["worker_id"]) == 1
    stored = await scalar(api.url, "select id_number_encrypted from workers where worker_id = :w", w=on_a["worker_id"])
    assert id_number not in stored
    again = await api.client.post(
        "/v1/workers",
        headers=api.as_platform(world["a"]),
        json={
            "name": "张三丰",
            "id_number": id_number,
            "phone": "13900000000",
            "occupation": "courier",
            "residence_district": "chengxi",
        },
    )
    assert again.status_code == 409
    bad = await api.client.post(
        "/v1/workers",
        headers=api.as_platform(world["a"]),
        json={
            "name": "李四",
            "id_number": id_number[:-1] + ("0" if id_number[-1] != "0" else "1"),
            "phone": "13900000000",
            "occupation": "courier",
            "residence_district": "chengxi",
        },
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["type"] == "check_digit"


async def test_reveal_is_for_oversight_only_needs_a_purpose_and_is_audited(api, world):
    wa = world["wa"]
    path = f"/v1/workers/{wa['registration_id']}?reveal=true"
    assert (await api.client.get(path, headers=api.as_platform(world["a"]))).status_code == 403
    assert (await api.client.get(path, headers=api.department)).status_code == 403
    assert (await api.client.get(path, headers=api.regulator)).status_code == 400
    before = await scalar(api.url, "select count(*) from pii_access_log")
    r = await api.client.get(path, headers={**api.regulator, "X-Purpose": "complaint check, case 42"})
    assert r.status_code == 200 and r.json()["id_number"] == wa["raw_id_number"]
    assert r.json()["phone"] == wa["raw_phone"]
    api.revealed_ids.add(wa["raw_id_number"])
    assert await scalar(api.url, "select count(*) from pii_access_log") == before + 1
    log = (await api.client.get("/v1/pii-access-log", headers=api.admin)).json()["items"]
    assert log[-1]["purpose"] == "complaint check, case 42" and log[-1]["resource_id"] == wa["registration_id"]
    assert log[-1]["principal"] == "regulator:inspector-1"
    masked = await api.client.get(f"/v1/workers/{wa['registration_id']}", headers=api.department)
    assert masked.status_code == 200 and masked.json()["id_number"] != wa["raw_id_number"]
    # A purpose in Chinese travels percent-encoded (header values are ASCII) and is audited decoded.
    chinese = await api.client.get(path, headers={**api.regulator, "X-Purpose": quote("劳动争议调解 第7号")})
    assert chinese.status_code == 200
    log = (await api.client.get("/v1/pii-access-log", headers=api.admin)).json()["items"]
    assert log[-1]["purpose"] == "劳动争议调解 第7号"


# ---------------------------------------------------------------------------------------------
# Rejects: problem+json naming measure and rule, nothing stored
# ---------------------------------------------------------------------------------------------
REJECTS = [
    ("deposit", {"terms": terms(deposit_fen=50000)}, "M5", "M5.no_deposit"),
    ("fee", {"terms": terms(worker_fees_fen=2000)}, "M5", "M5.no_deposit"),
    (
        "gender",
        {"terms": terms(eligibility_conditions=[{"attribute": "gender", "requirement": "限男性"}])},
        "M5",
        "M5.no_discriminatory_conditions",
    ),
    (
        "age",
        {"terms": terms(eligibility_conditions=[{"attribute": "age", "requirement": "35岁以下"}])},
        "M5",
        "M5.no_discriminatory_conditions",
    ),
    (
        "sex",
        {"terms": terms(eligibility_conditions=[{"attribute": "sex", "requirement": "male"}])},
        "M5",
        "M5.no_discriminatory_conditions",
    ),
    (
        "性别",
        {"terms": terms(eligibility_conditions=[{"attribute": "性别", "requirement": "男"}])},
        "M5",
        "M5.no_discriminatory_conditions",
    ),
    (
        "年龄",
        {"terms": terms(eligibility_conditions=[{"attribute": "年龄", "requirement": "18-35周岁"}])},
        "M5",
        "M5.no_discriminatory_conditions",
    ),
    (
        "birth_year",
        {"terms": terms(eligibility_conditions=[{"attribute": "birth_year", "requirement": ">= 1990"}])},
        "M5",
        "M5.no_discriminatory_conditions",
    ),
    (
        "neutral attribute, 仅限男性",
        {"terms": terms(eligibility_conditions=[{"attribute": "体能要求", "requirement": "仅限男性"}])},
        "M5",
        "M5.no_discriminatory_conditions",
    ),
    (
        "exclusivity in a part-time contract",
        {"terms": terms(exclusivity=True), "part_time": True},
        "M5",
        "M5.no_exclusivity",
    ),
    (
        "exclusivity in a work agreement",
        {
            "terms": terms(exclusivity=True, insurance={"occupational_injury": True}),
            "engagement_type": "work_agreement",
            "engagement_facts": AGREEMENT_FACTS,
        },
        "M5",
        "M5.no_exclusivity",
    ),
    ("quarterly pay", {"terms": terms(pay_period="quarter")}, "M6", "M6.max_pay_period"),
    ("pay every 45 days", {"terms": terms(pay_interval_days=45)}, "M6", "M6.max_pay_period"),
]


@pytest.mark.parametrize("case, override, measure, rule", REJECTS, ids=[r[0] for r in REJECTS])
async def test_forbidden_clause_is_refused_with_its_measure_and_nothing_is_stored(
    api, world, case, override, measure, rule
):
    before = await counts(api)
    r = await api.draft(world["a"], world["wa"]["registration_id"], **override)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (body["measure"], body["rule"]) == (measure, rule)
    assert body["type"].endswith("/policy-violation")
    assert await counts(api) == before


async def test_a_fact_older_than_the_measures_is_a_clear_problem_not_a_500(api, world, monkeypatch):
    """Before the measures existed, a fact cannot be judged under them: 422, nothing stored. (503
    policy-not-in-force is left for a parameter no source covers: tests/common/test_policy.py.)"""
    monkeypatch.setattr(shared, "today", lambda: date(2021, 6, 1))
    before = await counts(api)
    r = await api.draft(world["a"], world["wa"]["registration_id"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/policy-not-in-force")
    assert await counts(api) == before


async def test_a_date_no_source_covers_is_503_and_nothing_is_stored(api, world, monkeypatch, tmp_path):
    """A successor that lapses without continuing leaves the measures' figures uncovered: the operators
    must load the next one (503 policy-not-in-force with Retry-After), nothing is stored."""
    from newform_common.policy import ENV_VAR

    (tmp_path / "xining-2027-1.toml").write_text(
        '[version]\nid = "xining-2027-1"\nseries = "xining-measures"\ncontinues_provisionally = false\n'
        'document = "test successor"\ntitle = "test"\nvalid_from = 2027-01-01\nvalid_until = 2027-06-30\n\n'
        '[[parameter]]\nname = "rest.quota_achievable_share_percent"\nmeasure = "M7"\nunit = "percent"\n'
        'source = "test"\nvalues = [{ effective_from = 2027-01-01, value = 90 }]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    monkeypatch.setattr(shared, "today", lambda: date(2027, 8, 1))
    before = await counts(api)
    r = await api.draft(world["a"], world["wa"]["registration_id"], start_date="2027-09-01")
    assert r.status_code == 503, r.text
    assert r.json()["type"].endswith("/policy-not-in-force") and r.headers["retry-after"]
    assert await counts(api) == before


async def test_after_the_measures_lapse_contracts_are_accepted_and_judged_provisionally(api, world, monkeypatch):
    """宁政办〔2022〕41号 lapses after 2026-12-21 with no successor loaded: a contract drafted on 2027-01-15
    is still accepted and judged; a finding resting only on the measures says provisional, one the
    law carries too does not."""
    monkeypatch.setattr(shared, "today", lambda: date(2027, 1, 15))
    a, reg = world["a"], world["wa"]["registration_id"]
    refused = await api.draft(a, reg, terms=terms(pay_period="quarter"), start_date="2027-02-01")
    assert refused.status_code == 422 and refused.json()["rule"] == "M6.max_pay_period"
    assert refused.json()["provisional"] is False  # a labour contract: 工资支付暂行规定 art. 7 carries it too
    agreement = await api.draft(
        a,
        reg,
        engagement_type="work_agreement",
        engagement_facts=AGREEMENT_FACTS,
        terms=terms(pay_period="quarter"),
        start_date="2027-02-01",
    )
    assert agreement.status_code == 422 and agreement.json()["provisional"] is True  # the measures alone
    exclusive = await api.draft(
        a,
        reg,
        engagement_type="work_agreement",
        engagement_facts=AGREEMENT_FACTS,
        terms=terms(exclusivity=True),
        start_date="2027-02-01",
    )
    assert exclusive.status_code == 422 and exclusive.json()["rule"] == "M5.no_exclusivity"
    assert exclusive.json()["provisional"] is True  # the measures alone forbid it
    r = await api.draft(
        a,
        reg,
        engagement_type="work_agreement",
        start_date="2027-02-01",
        end_date="2028-01-31",
        terms=terms(insurance={"work_injury": False, "occupational_injury": False, "accident": False}),
    )
    assert r.status_code == 201, r.text
    by_rule = {f["rule"]: f for f in r.json()["findings"]}
    assert by_rule["M9.platform_worker_protection"]["provisional"] is True  # rests on the measures alone
    assert by_rule["M1.misclassification"]["provisional"] is False  # 劳动合同法; 劳社部发〔2005〕12号
    stored = await raised_findings(api, a, r.json()["contract_id"])  # held until sent (issue 8 item 12)
    basis = next(f for f in stored if f["rule"] == "M9.platform_worker_protection")["evidence"]["policy_basis"]
    assert basis == {"provisional": True, "measures_version": "xining-2022-41"}
    assert "policy_basis" not in next(f for f in stored if f["rule"] == "M1.misclassification")["evidence"]
    fetched = (await api.client.get(f"/v1/contracts/{r.json()['contract_id']}", headers=api.as_platform(a))).json()
    assert {f["rule"]: f["provisional"] for f in fetched["findings"]}["M9.platform_worker_protection"] is True
    # before the lapse the same finding is not provisional
    monkeypatch.setattr(shared, "today", lambda: date(2026, 12, 21))
    in_force = await api.draft(
        a,
        reg,
        engagement_type="work_agreement",
        start_date="2027-02-01",
        terms=terms(insurance={"work_injury": False, "occupational_injury": False, "accident": False}),
    )
    assert {f["rule"]: f["provisional"] for f in in_force.json()["findings"]}["M9.platform_worker_protection"] is False


async def test_a_part_time_labour_contract_paid_monthly_is_refused(api, world):
    """劳动合同法 art. 72: part-time pay is settled at least every 15 days."""
    before = await counts(api)
    r = await api.draft(world["a"], world["wa"]["registration_id"], part_time=True, terms=terms(pay_period="month"))
    assert r.status_code == 422 and r.json()["rule"] == "M6.max_pay_period"
    assert await counts(api) == before


async def test_restriction_reasons_are_served_from_the_policy_data(api):
    from newform_common.policy import get_policy

    reasons = (await api.client.get("/v1/account-restrictions/reasons", headers=api.regulator)).json()
    assert {r["code"]: r["label"] for r in reasons} == get_policy().value(
        "fair_access.restriction_reasons", shared.today()
    )


async def test_dispatch_agency_may_sign_only_a_labour_contract(api, world):
    before = await counts(api)
    r = await api.draft(
        world["a"],
        world["wa"]["registration_id"],
        world["agency"]["enterprise_id"],
        engagement_type="work_agreement",
        engagement_facts=AGREEMENT_FACTS,
        terms=terms(insurance={"work_injury": True}),
    )
    assert r.status_code == 422 and r.json()["rule"] == "M3.dispatch_requires_labor_contract"
    assert r.json()["measure"] == "M3"
    assert await counts(api) == before
    ok = await api.draft(world["a"], world["wa"]["registration_id"], world["agency"]["enterprise_id"])
    assert ok.status_code == 201 and ok.json()["findings"] == []


async def test_allowed_clauses_pass_with_no_finding(api, world):
    before = await counts(api)
    r = await api.draft(
        world["a"],
        world["wa"]["registration_id"],
        part_time=True,
        terms=terms(
            pay_period="week",
            pay_interval_days=7,
            eligibility_conditions=[
                {"attribute": "driving_licence", "requirement": "持有C1驾照"},
                {"attribute": "age", "requirement": "年满16周岁"},
                {"attribute": "性别", "requirement": "男女不限"},
            ],
        ),
    )
    assert r.status_code == 201, r.text
    assert r.json()["findings"] == [] and r.json()["status"] == "draft"
    after = await counts(api)
    assert after[0] == before[0] + 1 and after[2] == before[2]
    # Exclusivity is lawful within a full-time labour contract (劳动合同法 art. 39(4)), and so is the age
    # a driving licence requires.
    full_time = await api.draft(
        world["a"],
        world["wa"]["registration_id"],
        terms=terms(
            exclusivity=True,
            eligibility_conditions=[{"attribute": "driving_licence", "requirement": "年满18周岁，持C1驾照"}],
        ),
    )
    assert full_time.status_code == 201 and full_time.json()["findings"] == [], full_time.text


# ---------------------------------------------------------------------------------------------
# Findings: accepted, raised
# ---------------------------------------------------------------------------------------------
async def raised_findings(api, pid: str, contract_id: str) -> list[dict]:
    """Send the draft (its findings become findings, and alerts, when sent) and list them."""
    sent = await api.client.post(f"/v1/contracts/{contract_id}/send", headers=api.as_platform(pid))
    assert sent.status_code == 200, sent.text
    return (
        await api.client.get("/v1/findings", headers=api.as_platform(pid), params={"subject_id": contract_id})
    ).json()["items"]


async def _rules_of(response) -> set[str]:
    assert response.status_code == 201, response.text
    return {f["rule"] for f in response.json()["findings"]}


async def test_misclassification_is_a_finding(api, world):
    reg = world["wa"]["registration_id"]
    civil_label = await api.draft(world["a"], reg, engagement_type="civil", terms=terms(insurance={"accident": True}))
    assert "M1.misclassification" in await _rules_of(civil_label)
    assert civil_label.json()["suggested_type"] == "labor_contract"
    agreement_as_civil = await api.draft(
        world["a"],
        reg,
        engagement_type="civil",
        engagement_facts=AGREEMENT_FACTS,
        terms=terms(insurance={"accident": True}),
    )
    assert await _rules_of(agreement_as_civil) == {"M2.misclassification"}
    honest = await api.draft(
        world["a"],
        reg,
        engagement_type="civil",
        engagement_facts=CIVIL_FACTS,
        terms=terms(insurance={"accident": True}),
    )
    assert await _rules_of(honest) == set()
    stronger = await api.draft(
        world["a"],
        reg,
        engagement_type="work_agreement",
        engagement_facts=CIVIL_FACTS,
        terms=terms(insurance={"occupational_injury": True}),
    )
    assert await _rules_of(stronger) == set()
    findings = await raised_findings(api, world["a"], civil_label.json()["contract_id"])
    f = next(f for f in findings if f["rule"] == "M1.misclassification")
    assert f["measure"] == "M1" and f["severity"] == "high" and f["worker_id"] == world["wa"]["worker_id"]
    assert f["evidence"]["suggested_type"] == "labor_contract"


async def test_dispatch_through_an_agency_without_a_valid_licence_is_the_platforms_liability(api, world):
    a, reg = world["a"], world["wa"]["registration_id"]
    expired = await api.partner(
        a, "dispatch_agency", dispatch_licence={"number": "派许0001", "valid_until": "2026-11-30"}
    )
    missing = await api.partner(a, "dispatch_agency", dispatch_licence=None)
    # Part-time: this one is sent, and must not overlap the full-time drafts below.
    r = await api.draft(
        a, reg, expired["enterprise_id"], start_date="2026-12-01", part_time=True, terms=terms(pay_period="week")
    )
    assert await _rules_of(r) == {"M3.dispatch_licence_invalid"}
    finding = (await raised_findings(api, a, r.json()["contract_id"]))[0]
    assert finding["platform_id"] == a and finding["evidence"]["liable_party"] == "platform"
    assert finding["evidence"]["licence"] == "expired"
    assert await _rules_of(await api.draft(a, reg, missing["enterprise_id"])) == {"M3.dispatch_licence_invalid"}
    still_valid = await api.draft(a, reg, expired["enterprise_id"], start_date="2026-11-30", end_date="2027-11-30")
    assert await _rules_of(still_valid) == set()


async def test_unqualified_outsourcing_partner_is_a_finding(api, world):
    a, reg = world["a"], world["wa"]["registration_id"]
    unqualified = await api.partner(a, "outsourcer", qualified=False)
    assert await _rules_of(await api.draft(a, reg, unqualified["enterprise_id"])) == {"M3.unqualified_partner"}
    assert await _rules_of(await api.draft(a, reg, world["outsourcer"]["enterprise_id"])) == set()


async def test_missing_insurance_is_a_finding(api, world):
    a, reg, agency = world["a"], world["wa"]["registration_id"], world["agency"]["enterprise_id"]
    none = {"work_injury": False, "occupational_injury": False, "accident": False}
    assert await _rules_of(await api.draft(a, reg, terms=terms(insurance=none))) == {"M9.work_injury_insurance"}
    assert await _rules_of(await api.draft(a, reg, agency, terms=terms(insurance=none))) == {
        "M9.dispatched_worker_insurance"
    }
    assert await _rules_of(
        await api.draft(
            a, reg, engagement_type="work_agreement", engagement_facts=AGREEMENT_FACTS, terms=terms(insurance=none)
        )
    ) == {"M9.platform_worker_protection"}
    assert (
        await _rules_of(
            await api.draft(
                a,
                reg,
                engagement_type="work_agreement",
                engagement_facts=AGREEMENT_FACTS,
                terms=terms(insurance={"occupational_injury": True}),
            )
        )
        == set()
    )


async def test_second_full_time_labour_contract_overlapping_an_active_one_is_a_finding(api, world):
    a, b = world["a"], world["b"]
    id_number = resident_id()
    api.raw_ids.add(id_number)
    wa, wb = await api.worker(a, id_number=id_number), await api.worker(b, id_number=id_number)
    await api.signed(a, wa["registration_id"], start_date="2026-12-01", end_date="2027-11-30")
    overlapping = await api.draft(b, wb["registration_id"], start_date="2027-06-01", end_date=None)
    assert await _rules_of(overlapping) == {"M1.overlapping_full_time_contract"}
    part_time = await api.draft(
        b, wb["registration_id"], part_time=True, start_date="2027-06-01", terms=terms(pay_period="week")
    )
    assert await _rules_of(part_time) == set()
    after = await api.draft(b, wb["registration_id"], start_date="2027-12-01", end_date="2028-11-30")
    assert await _rules_of(after) == set()


async def test_free_text_mentioning_deposits_or_discrimination_is_flagged_for_review(api, world):
    a, reg = world["a"], world["wa"]["registration_id"]
    # A clause that charges a deposit and sets a gender condition is refused, as the same fields would be
    # (judged by meaning, issue 19); a mere mention is flagged for review.
    refused = await api.draft(a, reg, document_text="乙方入职须缴纳押金500元，限男性。")
    assert refused.status_code == 422 and {v["rule"] for v in refused.json()["violations"]} == {
        "M5.no_deposit",
        "M5.no_discriminatory_conditions",
    }
    assert "押金500元" in refused.json()["detail"]
    r = await api.draft(a, reg, document_text="押金事宜见附件。")
    assert await _rules_of(r) == {"M5.suspicious_terms_text"}
    assert set(r.json()["findings"][0]) >= {"finding_id", "measure", "severity"}
    assert await _rules_of(await api.draft(a, reg, document_text="甲方按月支付劳动报酬。")) == set()


# ---------------------------------------------------------------------------------------------
# Lifecycle, signatures and evidence
# ---------------------------------------------------------------------------------------------
async def test_lifecycle_and_illegal_transitions(api, world):
    a, h = world["a"], api.as_platform(world["a"])
    cid = (await api.draft(a, world["wa"]["registration_id"])).json()["contract_id"]
    w = api.as_worker(world["wa"]["worker_id"])
    sig = {"signer": "worker", "intent": "同意"}
    premature = await api.client.post(f"/v1/contracts/{cid}/signatures", headers=w, json=sig)
    assert premature.status_code == 409 and premature.headers["content-type"] == "application/problem+json"
    assert (
        await api.client.post(f"/v1/contracts/{cid}/termination", headers=h, json={"reason": "x"})
    ).status_code == 409
    assert (await api.client.post(f"/v1/contracts/{cid}/send", headers=h)).json()["status"] == "sent"
    assert (await api.client.post(f"/v1/contracts/{cid}/send", headers=h)).status_code == 409
    assert (await api.client.post(f"/v1/contracts/{cid}/signatures", headers=w, json=sig)).status_code == 201
    assert (await api.client.get(f"/v1/contracts/{cid}", headers=h)).json()["status"] == "sent"
    assert (await api.client.post(f"/v1/contracts/{cid}/signatures", headers=w, json=sig)).status_code == 409
    done = await api.client.post(
        f"/v1/contracts/{cid}/signatures", headers=h, json={"signer": "enterprise", "intent": "盖章确认"}
    )
    assert done.status_code == 201 and done.json()["seq"] == 2
    signed = (await api.client.get(f"/v1/contracts/{cid}", headers=h)).json()
    assert signed["status"] == "signed" and signed["signed_by"] == ["worker", "enterprise"]
    ended = await api.client.post(f"/v1/contracts/{cid}/termination", headers=h, json={"reason": "协商一致解除"})
    assert ended.status_code == 200 and ended.json()["status"] == "terminated"
    history = (await api.client.get(f"/v1/contracts/{cid}/transitions", headers=h)).json()
    assert [t["to_status"] for t in history] == ["draft", "sent", "signed", "terminated"]
    assert history[-1]["reason"] == "协商一致解除"


async def test_evidence_verifies_and_any_tampering_is_detected(api, world):
    a, h = world["a"], api.as_platform(world["a"])
    contract = await api.signed(a, world["wa"]["registration_id"])
    cid = contract["contract_id"]
    evidence = (await api.client.get(f"/v1/contracts/{cid}/evidence", headers=api.regulator)).json()
    assert [r["signer"] for r in evidence["records"]] == ["worker", "enterprise"]
    assert evidence["records"][1]["previous_hash"] == evidence["records"][0]["record_hash"]
    assert all(r["document_sha256"] == contract["document_sha256"] for r in evidence["records"])
    assert "BEGIN PUBLIC KEY" in evidence["public_key_pem"]
    verify = f"/v1/contracts/{cid}/evidence/verify"
    ok = (await api.client.post(verify, headers=h)).json()
    assert ok == {"contract_id": cid, "valid": True, "document_sha256": contract["document_sha256"], "problems": []}

    await execute(
        api.url, "update contracts set document_text = document_text || ' 乙方自愿放弃社保。' where id = :c", c=cid
    )
    doc = (await api.client.post(verify, headers=h)).json()
    assert doc["valid"] is False and any("document" in p for p in doc["problems"])

    other = (await api.signed(a, world["wa"]["registration_id"]))["contract_id"]
    await execute(api.url, "update evidence_records set intent = '未同意' where contract_id = :c and seq = 1", c=other)
    rec = (await api.client.post(f"/v1/contracts/{other}/evidence/verify", headers=h)).json()
    assert rec["valid"] is False and any("record 1" in p for p in rec["problems"])

    third = (await api.signed(a, world["wa"]["registration_id"]))["contract_id"]
    await execute(
        api.url,
        "update evidence_records set signed_at = signed_at - interval '1 day', "
        "record_hash = 'x' where contract_id = :c and seq = 2",
        c=third,
    )
    chain = (await api.client.post(f"/v1/contracts/{third}/evidence/verify", headers=h)).json()
    assert chain["valid"] is False


async def test_only_the_workers_own_token_signs_as_the_worker(api, world):
    a, h = world["a"], api.as_platform(world["a"])
    cid = (await api.draft(a, world["wa"]["registration_id"])).json()["contract_id"]
    await api.client.post(f"/v1/contracts/{cid}/send", headers=h)
    backdated = {"signer": "worker", "intent": "同意", "signed_at": "2026-01-01T00:00:00+08:00"}
    forged = await api.client.post(f"/v1/contracts/{cid}/signatures", headers=h, json=backdated)
    assert forged.status_code == 403 and forged.json()["type"].endswith("not-the-worker")
    someone_else = api.as_worker(world["wb"]["worker_id"])
    assert (
        await api.client.post(
            f"/v1/contracts/{cid}/signatures", headers=someone_else, json={"signer": "worker", "intent": "同意"}
        )
    ).status_code == 404
    worker = api.as_worker(world["wa"]["worker_id"])
    assert (
        await api.client.post(
            f"/v1/contracts/{cid}/signatures", headers=worker, json={"signer": "enterprise", "intent": "盖章"}
        )
    ).status_code == 403
    own = await api.client.post(
        f"/v1/contracts/{cid}/signatures",
        headers=worker,
        json={"signer": "worker", "intent": "同意", "signed_at": "2026-01-01T00:00:00+08:00"},
    )
    assert own.status_code == 201
    # The worker's signature is dated when it was received, never when a caller says.
    assert not own.json()["signed_at"].startswith("2026-01-01")
    assert await scalar(api.url, "select count(*) from evidence_records where contract_id = :c", c=cid) == 1


async def test_a_worker_sees_their_contracts_on_every_platform_and_nothing_else(api):
    a, b = await api.platform(), await api.platform()
    id_number = resident_id()
    ra, rb = await api.worker(a, id_number=id_number), await api.worker(b, id_number=id_number)
    assert ra["worker_id"] == rb["worker_id"]
    ca = (await api.draft(a, ra["registration_id"])).json()["contract_id"]
    cb = (await api.draft(b, rb["registration_id"])).json()["contract_id"]
    other = await api.worker(a)
    (await api.draft(a, other["registration_id"])).json()
    w = api.as_worker(ra["worker_id"])
    mine = (await api.client.get("/v1/contracts", headers=w)).json()["items"]
    assert sorted(c["contract_id"] for c in mine) == sorted([ca, cb])
    regs = (await api.client.get("/v1/workers", headers=w)).json()["items"]
    assert sorted(r["registration_id"] for r in regs) == sorted([ra["registration_id"], rb["registration_id"]])
    assert (await api.client.get(f"/v1/workers/{other['registration_id']}", headers=w)).status_code == 404


async def test_signed_contract_past_its_end_date_expires_on_its_deadline_not_on_a_read(api, world):
    a, h = world["a"], api.as_platform(world["a"])
    old = await api.signed(
        a,
        world["wa"]["registration_id"],
        start_date="2026-01-01",
        end_date="2026-06-30",
        part_time=True,
        terms=terms(pay_period="week"),
    )
    cid = old["contract_id"]
    assert old["status"] == "signed"
    # A read never writes: listing and reading leave the contract as it is.
    await api.client.get("/v1/contracts", headers=h)
    assert (await api.client.get(f"/v1/contracts/{cid}", headers=h)).json()["status"] == "signed"
    due = await scalar(api.url, "select due_at from deadlines where subject_id = :c and status = 'pending'", c=cid)
    assert due is not None and due.isoformat().startswith("2026-06-30T16:00")  # end of 2026-06-30 in Shanghai
    assert (await api.client.post("/v1/contracts/expire-due", headers=h)).status_code == 403
    run = await api.client.post("/v1/contracts/expire-due", headers=api.admin)
    assert run.status_code == 200 and cid in run.json()["expired"]
    assert await scalar(api.url, "select status from contracts where id = :c", c=cid) == "expired"
    history = (await api.client.get(f"/v1/contracts/{cid}/transitions", headers=h)).json()
    assert history[-1]["to_status"] == "expired"
    # Fired once: a second run finds nothing; a terminated contract's clock is cancelled.
    assert cid not in (await api.client.post("/v1/contracts/expire-due", headers=api.admin)).json()["expired"]
    ended = await api.signed(
        a,
        world["wa"]["registration_id"],
        start_date="2026-01-01",
        end_date="2026-06-30",
        part_time=True,
        terms=terms(pay_period="week"),
    )
    await api.client.post(f"/v1/contracts/{ended['contract_id']}/termination", headers=h, json={"reason": "协商一致"})
    assert (
        await scalar(api.url, "select status from deadlines where subject_id = :c", c=ended["contract_id"])
        == "cancelled"
    )


# ---------------------------------------------------------------------------------------------
# Isolation and idempotency
# ---------------------------------------------------------------------------------------------
async def test_a_platform_cannot_read_or_change_another_platforms_data(api, world):
    a, hb = world["a"], api.as_platform(world["b"])
    contract = await api.signed(a, world["wa"]["registration_id"])
    cid, reg = contract["contract_id"], world["wa"]["registration_id"]
    for path in (
        f"/v1/workers/{reg}",
        f"/v1/contracts/{cid}",
        f"/v1/contracts/{cid}/evidence",
        f"/v1/contracts/{cid}/document",
        f"/v1/enterprises/{world['agency']['enterprise_id']}",
        f"/v1/enterprises/{a}",
    ):
        r = await api.client.get(path, headers=hb)
        assert r.status_code == 404, path
    assert (
        await api.client.post(f"/v1/contracts/{cid}/termination", headers=hb, json={"reason": "x"})
    ).status_code == 404
    assert (
        await api.client.post(f"/v1/contracts/{cid}/signatures", headers=hb, json={"signer": "worker", "intent": "x"})
    ).status_code == 404
    assert (await api.draft(world["b"], reg)).status_code == 404
    assert (
        await api.draft(world["b"], world["wb"]["registration_id"], world["agency"]["enterprise_id"])
    ).status_code == 404
    assert (
        await api.client.post(
            "/v1/account-restrictions",
            headers=hb,
            json={
                "registration_id": reg,
                "action": "restrict",
                "reason_code": "order_fraud",
                "effective_at": "2026-11-28T00:00:00+08:00",
            },
        )
    ).status_code == 404
    b_civil = await api.draft(
        world["b"], world["wb"]["registration_id"], engagement_type="civil", terms=terms(insurance={"accident": True})
    )
    assert await raised_findings(api, world["b"], b_civil.json()["contract_id"])  # B has a finding of its own
    for path in ("/v1/workers", "/v1/contracts", "/v1/enterprises", "/v1/findings"):
        items = (await api.client.get(path, headers=hb)).json()["items"]
        assert items and all(i["platform_id"] == world["b"] for i in items), path
    assert (await api.client.get("/v1/account-restrictions", headers=hb)).json()["items"] == []
    assert (await api.client.get("/v1/contracts", headers=hb, params={"platform_id": a})).status_code == 403
    everything = (await api.client.get("/v1/contracts", headers=api.regulator, params={"limit": 500})).json()
    assert {c["platform_id"] for c in everything["items"]} >= {a}


async def test_an_idempotent_retry_creates_nothing_twice(api, world):
    a = world["a"]
    headers = {**api.as_platform(a), "Idempotency-Key": "draft-42"}
    body = {
        "registration_id": world["wa"]["registration_id"],
        "enterprise_id": a,
        "engagement_type": "civil",
        "start_date": "2026-12-01",
        "terms": terms(insurance={"accident": True}),
        "engagement_facts": CIVIL_FACTS,
        "document_text": "民事协议",
    }
    before = await counts(api)
    first = await api.client.post("/v1/contracts", headers=headers, json=body)
    second = await api.client.post("/v1/contracts", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers.get("Idempotent-Replayed") == "true"
    after = await counts(api)
    assert after[0] == before[0] + 1 and after[1] == before[1] + 1
    id_number = resident_id()
    api.raw_ids.add(id_number)
    worker = {
        "name": "王五",
        "id_number": id_number,
        "phone": "13700001111",
        "occupation": "courier",
        "residence_district": "datong",
    }
    wh = {**api.as_platform(a), "Idempotency-Key": "worker-7"}
    r1 = await api.client.post("/v1/workers", headers=wh, json=worker)
    r2 = await api.client.post("/v1/workers", headers=wh, json=worker)
    assert r1.status_code == r2.status_code == 201 and r1.json() == r2.json()
    stored = await scalar(
        api.url, "select count(*) from idempotency_keys where cast(response as text) like :p", p=f"%{id_number}%"
    )
    assert stored == 0


async def test_a_contract_key_reused_for_another_body_is_refused_and_a_key_racing_itself_drafts_once(api, world):
    """The draft and its idempotency record are one write: a key sent again with another body is a 422
    problem and creates nothing; the same request sent several times at once drafts one contract,
    each caller getting it (replayed) or a 409 to retry."""
    a = world["a"]
    body = {
        "registration_id": world["wa"]["registration_id"],
        "enterprise_id": a,
        "engagement_type": "civil",
        "start_date": "2026-12-01",
        "terms": terms(insurance={"accident": True}),
        "engagement_facts": CIVIL_FACTS,
        "document_text": "民事协议",
    }
    headers = {**api.as_platform(a), "Idempotency-Key": unique_name("draft")}
    first = await api.client.post("/v1/contracts", headers=headers, json=body)
    assert first.status_code == 201, first.text
    before = await counts(api)
    reused = await api.client.post("/v1/contracts", headers=headers, json={**body, "document_text": "另一份协议"})
    assert reused.status_code == 422 and reused.headers["content-type"].startswith("application/problem+json")
    assert reused.json()["type"].endswith("idempotency-key-reuse")
    assert await counts(api) == before

    racing = {**api.as_platform(a), "Idempotency-Key": unique_name("race")}
    answers = await asyncio.gather(*[api.client.post("/v1/contracts", headers=racing, json=body) for _ in range(4)])
    assert {r.status_code for r in answers} <= {201, 409}, [r.text for r in answers]
    created = {r.json()["contract_id"] for r in answers if r.status_code == 201}
    assert len(created) == 1
    after = await counts(api)
    assert after[0] == before[0] + 1 and after[1] == before[1] + 1  # one contract, one event


# ---------------------------------------------------------------------------------------------
# Account restrictions (M5)
# ---------------------------------------------------------------------------------------------
async def test_restrictions_need_a_listed_reason_and_notice(api, world):
    a = world["a"]
    reasons = (await api.client.get("/v1/account-restrictions/reasons", headers=api.as_platform(a))).json()
    assert {"code": "order_fraud", "label": "刷单、虚构订单等欺诈行为"} in reasons
    listed = await api.worker(a)
    api.raw_ids.add(listed["raw_id_number"])
    ok = await api.client.post(
        "/v1/account-restrictions",
        headers=api.as_platform(a),
        json={
            "registration_id": listed["registration_id"],
            "action": "restrict",
            "reason_code": "order_fraud",
            "notice_given_at": "2026-11-20T09:00:00+08:00",
            "effective_at": "2026-11-27T09:00:00+08:00",
        },
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["findings"] == [] and ok.json()["notice_days"] == 7 and ok.json()["reason_listed"] is True
    assert (await api.client.get(f"/v1/workers/{listed['registration_id']}", headers=api.as_platform(a))).json()[
        "status"
    ] == "restricted"
    bare = await api.worker(a)
    api.raw_ids.add(bare["raw_id_number"])
    flagged = await api.client.post(
        "/v1/account-restrictions",
        headers=api.as_platform(a),
        json={
            "registration_id": bare["registration_id"],
            "action": "cancel",
            "reason_code": "low_rating",
            "effective_at": "2026-11-27T09:00:00+08:00",
        },
    )
    assert flagged.status_code == 201
    assert {f["rule"] for f in flagged.json()["findings"]} == {
        "M5.restriction_without_listed_reason",
        "M5.restriction_without_notice",
    }
    assert flagged.json()["reason_listed"] is False and flagged.json()["notice_days"] == 0
    late = await api.worker(a)
    api.raw_ids.add(late["raw_id_number"])
    after = await api.client.post(
        "/v1/account-restrictions",
        headers=api.as_platform(a),
        json={
            "registration_id": late["registration_id"],
            "action": "restrict",
            "reason_code": "identity_fraud",
            "notice_given_at": "2026-11-28T09:00:00+08:00",
            "effective_at": "2026-11-27T09:00:00+08:00",
        },
    )
    assert {f["rule"] for f in after.json()["findings"]} == {"M5.restriction_without_notice"}


# ---------------------------------------------------------------------------------------------
# Rule register (M10)
# ---------------------------------------------------------------------------------------------
async def test_rule_register_keeps_every_version_diffs_them_and_flags_breaches(api, world):
    a, h = world["a"], api.as_platform(world["a"])
    consultation = {"consulted_with": "union", "consulted_on": "2026-11-01", "opinion": "同意"}
    v1 = await api.client.post(
        "/v1/rule-notices",
        headers=h,
        json={
            "topic": "piece_rates",
            "title": "配送单价",
            "content": "基础单价4.5元\n夜间补贴1元\n",
            "consultation": consultation,
            "published_on": "2026-11-10",
            "effective_on": "2026-11-20",
        },
    )
    assert v1.status_code == 201 and v1.json()["version"] == 1 and v1.json()["findings"] == []
    v2 = await api.client.post(
        "/v1/rule-notices",
        headers=h,
        json={
            "topic": "piece_rates",
            "title": "配送单价",
            "content": "基础单价4元\n夜间补贴1元\n",
            "published_on": "2026-11-25",
            "effective_on": "2026-11-20",
        },
    )
    assert v2.json()["version"] == 2
    assert {f["rule"] for f in v2.json()["findings"]} == {"M10.effective_before_publication", "M10.no_consultation"}
    versions = (await api.client.get("/v1/rule-notices/piece_rates/versions", headers=h)).json()
    assert [v["version"] for v in versions] == [1, 2]
    diff = (await api.client.get("/v1/rule-notices/piece_rates/diff", headers=h, params={"from": 1, "to": 2})).json()
    assert {c["field"] for c in diff["changes"]} == {"content", "consultation", "consulted", "published_on"}
    assert "-基础单价4.5元" in diff["content_diff"] and "+基础单价4元" in diff["content_diff"]
    huge = await api.client.get("/v1/rule-notices/piece_rates/diff", headers=h, params={"from": 1, "to": 2**40})
    assert huge.status_code == 422 and huge.headers["content-type"] == "application/problem+json"
    assert (await api.client.get("/v1/rule-notices/piece_rates/versions", headers=api.regulator)).status_code == 422
    seen_by_regulator = await api.client.get(
        "/v1/rule-notices/piece_rates/versions", headers=api.regulator, params={"platform_id": a}
    )
    assert len(seen_by_regulator.json()) == 2
    other = await api.client.get("/v1/rule-notices/piece_rates/versions", headers=api.as_platform(world["b"]))
    assert other.json() == []


# ---------------------------------------------------------------------------------------------
# Employment report (M4, M19)
# ---------------------------------------------------------------------------------------------
async def test_employment_report_is_what_was_signed_masked_per_role(api):
    p = await api.platform()
    partner = await api.partner(p, "outsourcer", qualified=True)
    w = await api.worker(p)
    api.raw_ids.add(w["raw_id_number"])
    signed = await api.signed(
        p, w["registration_id"], partner["enterprise_id"], start_date="2026-11-01", end_date="2027-10-31"
    )
    await api.draft(
        p,
        w["registration_id"],
        partner["enterprise_id"],
        start_date="2026-11-01",
        part_time=True,
        terms=terms(pay_period="week"),
    )
    params = {"enterprise_id": partner["enterprise_id"], "period": "2026-11"}
    report = await api.client.get("/v1/reports/employment", headers=api.as_platform(p), params=params)
    assert report.status_code == 200
    body = report.json()
    assert body["format_version"] == "1" and len(body["rows"]) == 1
    row = body["rows"][0]
    evidence = (
        await api.client.get(f"/v1/contracts/{signed['contract_id']}/evidence", headers=api.as_platform(p))
    ).json()["records"]
    assert row["contract_id"] == signed["contract_id"] and row["worker_id"] == signed["worker_id"]
    assert row["document_sha256"] == signed["document_sha256"] == evidence[0]["document_sha256"]
    assert row["worker_signed_at"] == evidence[0]["signed_at"].replace("Z", "+00:00")
    assert (row["engagement_type"], row["start_date"], row["end_date"]) == (
        "labor_contract",
        "2026-11-01",
        "2027-10-31",
    )
    assert row["pay_period"] == signed["terms"]["pay_period"] and row["base_pay_fen"] == 450000
    assert row["work_injury_insurance"] is True and row["worker_id_number"] != w["raw_id_number"]
    assert list(row) == body["fields"]
    csv_resp = await api.client.get(
        "/v1/reports/employment", headers={**api.as_platform(p), "Accept": "text/csv"}, params=params
    )
    assert csv_resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_resp.text)))
    assert list(rows[0]) == body["fields"] and rows[0]["contract_id"] == signed["contract_id"]
    assert rows[0]["part_time"] == "false" and rows[0]["worker_id_number"] == row["worker_id_number"]
    as_dept = await api.client.get("/v1/reports/employment", headers=api.department, params={**params, "format": "csv"})
    assert as_dept.status_code == 200 and w["raw_id_number"] not in as_dept.text
    assert (
        await api.client.get("/v1/reports/employment", headers=api.as_platform(p), params={**params, "reveal": "true"})
    ).status_code == 403
    revealed = await api.client.get(
        "/v1/reports/employment",
        params={**params, "reveal": "true"},
        headers={**api.admin, "X-Purpose": "HRSS reporting audit"},
    )
    assert revealed.json()["rows"][0]["worker_id_number"] == w["raw_id_number"]
    api.revealed_ids.add(w["raw_id_number"])
    assert await scalar(api.url, "select count(*) from pii_access_log where resource_type = 'employment_report'") == 1
    other = await api.platform()
    assert (
        await api.client.get("/v1/reports/employment", headers=api.as_platform(other), params=params)
    ).status_code == 404
    for bad_period in ("2026-13", "0000-01"):  # month 13 and year 0 do not exist: 422, never a 500
        bad = await api.client.get(
            "/v1/reports/employment", headers=api.as_platform(p), params={**params, "period": bad_period}
        )
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json", bad_period


async def outbox_count(api, event_type: str, **data) -> int:
    """Events of a type in the outbox whose data has the given values."""
    where = " and ".join(f"data->>'{k}' = :{k}" for k in data)
    return await scalar(
        api.url, f"select count(*) from outbox where type = :t{' and ' + where if where else ''}", t=event_type, **data
    )


# ---------------------------------------------------------------------------------------------
# Issue 8: security
# ---------------------------------------------------------------------------------------------
async def test_an_idempotency_key_is_scoped_to_the_tenant_and_the_operation(api):
    """Two platforms whose development tokens share a subject send the same key: each gets its own
    registration, and neither learns the other used the key (no replay, no 'already used')."""
    pa, pb = await api.platform(), await api.platform()

    def headers(pid, key, subject="dev-platform"):
        return {**api.tokens.headers("platform", subject=subject, platform_id=pid), "Idempotency-Key": key}

    id_number = resident_id()
    api.raw_ids.add(id_number)
    body = {
        "name": "赵六",
        "id_number": id_number,
        "phone": "13700002222",
        "occupation": "courier",
        "residence_district": "chengxi",
    }
    first = await api.client.post("/v1/workers", headers=headers(pa, "shared-1"), json=body)
    other = await api.client.post("/v1/workers", headers=headers(pb, "shared-1"), json=body)
    assert first.status_code == other.status_code == 201, other.text
    assert "Idempotent-Replayed" not in other.headers
    assert other.json()["platform_id"] == pb and other.json()["registration_id"] != first.json()["registration_id"]
    # The same key with a different body from another tenant is a new request too, not "already used".
    await api.client.post(
        "/v1/partners",
        headers=headers(pa, "shared-2"),
        json={
            "name": "外包A",
            "kind": "outsourcer",
            "credit_code": credit_code(),
            "district": "chengxi",
            "occupations": ["courier"],
            "qualified": True,
        },
    )
    b_partner = await api.client.post(
        "/v1/partners",
        headers=headers(pb, "shared-2"),
        json={
            "name": "外包B",
            "kind": "outsourcer",
            "credit_code": credit_code(),
            "district": "chengxi",
            "occupations": ["courier"],
            "qualified": True,
        },
    )
    assert b_partner.status_code == 201 and b_partner.json()["platform_id"] == pb, b_partner.text
    # Within the tenant, another backend of the same platform replays the first answer.
    again = await api.client.post("/v1/workers", headers=headers(pa, "shared-1", subject="backend-2"), json=body)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    # The same key on another operation is a new request.
    elsewhere = await api.client.post(
        "/v1/partners",
        headers=headers(pa, "shared-1"),
        json={
            "name": "代理商",
            "kind": "agent",
            "credit_code": credit_code(),
            "district": "chengxi",
            "occupations": ["courier"],
            "qualified": True,
        },
    )
    assert elsewhere.status_code == 201, elsewhere.text


async def test_one_credit_code_is_one_legal_entity(api):
    code = credit_code()
    first = await api.platform()
    existing = (await api.client.get(f"/v1/enterprises/{first}", headers=api.regulator)).json()
    again = await api.client.post(
        "/v1/platforms",
        headers=api.regulator,
        json={
            "platform_id": "dup" + first,
            "name": "重复",
            "credit_code": existing["credit_code"],
            "district": "chengxi",
            "occupations": ["courier"],
        },
    )
    assert again.status_code == 409 and again.json()["enterprise_id"] == first
    assert again.headers["content-type"] == "application/problem+json"
    pa, pb = await api.platform(), await api.platform()
    partner = await api.partner(pa, "outsourcer", credit_code=code)
    for pid in (pa, pb):
        dup = await api.client.post(
            "/v1/partners",
            headers=api.as_platform(pid),
            json={
                "name": "同一企业",
                "kind": "outsourcer",
                "credit_code": code,
                "district": "chengxi",
                "occupations": ["courier"],
                "qualified": True,
            },
        )
        assert dup.status_code == 409 and dup.json()["enterprise_id"] == partner["enterprise_id"], dup.text
    as_partner = await api.client.post(
        "/v1/partners",
        headers=api.as_platform(pb),
        json={
            "name": "平台本身",
            "kind": "agent",
            "credit_code": existing["credit_code"],
            "district": "chengxi",
            "occupations": ["courier"],
            "qualified": True,
        },
    )
    assert as_partner.status_code == 409
    assert await scalar(api.url, "select count(*) from enterprises where credit_code = :c", c=code) == 1


# ---------------------------------------------------------------------------------------------
# Issue 8: personal data in documents; dates and booleans
# ---------------------------------------------------------------------------------------------
async def test_a_contract_document_is_personal_data_encrypted_masked_and_revealed_only_with_a_purpose(api, world):
    a, h = world["a"], api.as_platform(world["a"])
    id_number = resident_id()
    api.raw_ids.add(id_number)
    text = f"劳动合同。乙方：张三丰，身份证号 {id_number}，手机 13912345678。甲方按月支付劳动报酬。"
    r = await api.draft(a, world["wa"]["registration_id"], document_text=text)
    assert r.status_code == 201, r.text
    cid = r.json()["contract_id"]
    stored = await scalar(api.url, "select document_text from contracts where id = :c", c=cid)
    assert id_number not in stored and "13912345678" not in stored and "劳动合同" not in stored
    for headers in (h, api.department, api.regulator):
        doc = await api.client.get(f"/v1/contracts/{cid}/document", headers=headers)
        assert doc.status_code == 200 and doc.json()["revealed"] is False
        assert id_number not in doc.text and "13912345678" not in doc.text
        assert id_number[:3] + "*" * 11 + id_number[-4:] in doc.json()["document_text"]
        assert "139****5678" in doc.json()["document_text"] and "甲方按月支付劳动报酬" in doc.json()["document_text"]
    path = f"/v1/contracts/{cid}/document?reveal=true"
    assert (await api.client.get(path, headers=h)).status_code == 403
    assert (await api.client.get(path, headers=api.regulator)).status_code == 400
    full = await api.client.get(path, headers={**api.regulator, "X-Purpose": "contract inspection 9"})
    assert full.status_code == 200 and full.json()["document_text"] == text and full.json()["revealed"] is True
    api.revealed_ids.add(id_number)
    log = (await api.client.get("/v1/pii-access-log", headers=api.admin, params={"limit": 500})).json()["items"]
    assert any(e["resource_type"] == "contract_document" and e["resource_id"] == cid for e in log)
    ok = (await api.client.post(f"/v1/contracts/{cid}/evidence/verify", headers=h)).json()
    assert ok["valid"] is True  # the hash is over the full text, decrypted to verify
    # No route takes an ID number in its path (access logs keep paths).
    paths = (await api.client.get("/openapi.json")).json()["paths"]
    assert paths and not any("id_number" in p for p in paths)


LOOSE = [
    ("part_time as a string", {"part_time": "yes"}),
    ("part_time as 1", {"part_time": 1}),
    ("part_time as 0", {"part_time": 0}),
    ("start_date as an integer", {"start_date": 20261201}),
    ("insurance flag as 1", {"terms": terms(insurance={"work_injury": 1})}),
    ("exclusivity as 'false'", {"terms": terms(exclusivity="false")}),
]


@pytest.mark.parametrize("case, override", LOOSE, ids=[c for c, _ in LOOSE])
async def test_booleans_are_strict_and_dates_are_dates(api, world, case, override):
    before = await counts(api)
    r = await api.draft(world["a"], world["wa"]["registration_id"], **override)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    assert await counts(api) == before


async def test_a_termination_follows_the_signing_and_is_a_date(api, world):
    a, h = world["a"], api.as_platform(world["a"])
    contract = await api.signed(a, world["wa"]["registration_id"])  # signed 2026-11-28T10:00+08:00
    cid = contract["contract_id"]
    for when in (552349, 0, "1970-01-07T00:00:00+08:00", "2026-11-28T09:59:59+08:00"):
        r = await api.client.post(
            f"/v1/contracts/{cid}/termination", headers=h, json={"reason": "协商一致解除", "terminated_at": when}
        )
        assert r.status_code == 422, (when, r.text)
    assert await scalar(api.url, "select status from contracts where id = :c", c=cid) == "signed"
    ok = await api.client.post(
        f"/v1/contracts/{cid}/termination",
        headers=h,
        json={"reason": "协商一致解除", "terminated_at": "2027-03-31T18:00:00+08:00"},
    )
    assert ok.status_code == 200 and ok.json()["status"] == "terminated"


# ---------------------------------------------------------------------------------------------
# Issue 8: findings on drafts become alerts when the contract is sent
# ---------------------------------------------------------------------------------------------
async def test_findings_on_a_draft_are_held_raised_when_sent_and_withdrawn_when_discarded(api, world):
    a, h, reg = world["a"], api.as_platform(world["a"]), world["wa"]["registration_id"]
    sent = await api.draft(a, reg, engagement_type="civil", terms=terms(insurance={"accident": True}))
    discarded = await api.draft(a, reg, engagement_type="civil", terms=terms(insurance={"accident": True}))
    for r in (sent, discarded):
        assert await _rules_of(r) == {"M1.misclassification"}
        assert [f["status"] for f in r.json()["findings"]] == ["held"]
        cid = r.json()["contract_id"]
        assert (await api.client.get("/v1/findings", headers=h, params={"subject_id": cid})).json()["items"] == []
        assert await outbox_count(api, "contracts.finding.raised.v1", subject_id=cid) == 0
    sid, did = sent.json()["contract_id"], discarded.json()["contract_id"]
    assert (await api.client.post(f"/v1/contracts/{sid}/send", headers=h)).status_code == 200
    assert await outbox_count(api, "contracts.finding.raised.v1", subject_id=sid) == 1
    items = (await api.client.get("/v1/findings", headers=h, params={"subject_id": sid})).json()["items"]
    assert [f["rule"] for f in items] == ["M1.misclassification"]
    view = (await api.client.get(f"/v1/contracts/{sid}", headers=h)).json()["findings"]
    assert [(f["finding_id"], f["status"]) for f in view] == [(items[0]["finding_id"], "raised")]
    gone = await api.client.post(f"/v1/contracts/{did}/discard", headers=h, json={"reason": "岗位取消"})
    assert gone.status_code == 200 and gone.json()["status"] == "discarded"
    assert [f["status"] for f in gone.json()["findings"]] == ["withdrawn"]
    assert (await api.client.get("/v1/findings", headers=h, params={"subject_id": did})).json()["items"] == []
    assert await outbox_count(api, "contracts.finding.raised.v1", subject_id=did) == 0
    assert await outbox_count(api, "contracts.contract.discarded.v1", contract_id=did) == 1
    assert (await api.client.post(f"/v1/contracts/{did}/send", headers=h)).status_code == 409
    assert (await api.client.post(f"/v1/contracts/{sid}/discard", headers=h, json={"reason": "x"})).status_code == 409
    assert (
        await api.client.post(f"/v1/contracts/{sid}/discard", headers=api.as_platform(world["b"]), json={"reason": "x"})
    ).status_code == 404


# ---------------------------------------------------------------------------------------------
# Issue 8: workers living outside Xining; restrictions, appeals, lifting
# ---------------------------------------------------------------------------------------------
async def test_a_worker_living_outside_xining_is_registered_and_the_place_of_work_routes(api, world):
    a = world["a"]
    w = await api.worker(a, residence_district="outside_xining", household_registration_place="甘肃省兰州市")
    api.raw_ids.add(w["raw_id_number"])
    assert w["residence_district"] == "outside_xining"
    r = await api.draft(a, w["registration_id"], engagement_type="civil", terms=terms(insurance={"accident": True}))
    platform = (await api.client.get(f"/v1/enterprises/{a}", headers=api.as_platform(a))).json()
    assert r.status_code == 201 and r.json()["district"] == platform["district"]
    finding = (await raised_findings(api, a, r.json()["contract_id"]))[0]
    assert finding["district"] == platform["district"]
    bad = await api.client.post(
        "/v1/workers",
        headers=api.as_platform(a),
        json={
            "name": "李四",
            "id_number": resident_id(),
            "phone": "13700003333",
            "occupation": "courier",
            "residence_district": "beijing",
        },
    )
    assert bad.status_code == 422


async def test_restriction_notice_worker_request_appeal_and_lifting(api, world):
    a, h = world["a"], api.as_platform(world["a"])

    async def restrict(**over):
        w = await api.worker(a)
        api.raw_ids.add(w["raw_id_number"])
        body = {
            "registration_id": w["registration_id"],
            "action": "restrict",
            "reason_code": "order_fraud",
            "effective_at": "2026-11-27T09:00:00+08:00",
            **over,
        }
        r = await api.client.post("/v1/account-restrictions", headers=h, json=body)
        assert r.status_code == 201, r.text
        return w, r.json()

    _, own = await restrict(action="cancel", reason_code="worker_request")
    assert own["findings"] == []
    _, same_instant = await restrict(notice_given_at="2026-11-27T09:00:00+08:00")
    assert {f["rule"] for f in same_instant["findings"]} == {"M5.restriction_without_notice"}
    assert same_instant["notice_days"] == 0

    w, r = await restrict(notice_given_at="2026-11-20T09:00:00+08:00")
    rid = r["restriction_id"]
    channel = api.tokens.headers("worker_channel", subject="12333-hotline")
    appeal_path = f"/v1/account-restrictions/{rid}/appeals"
    assert (await api.client.post(appeal_path, headers=h, json={"grounds": "x"})).status_code == 403
    appeal = await api.client.post(appeal_path, headers=channel, json={"grounds": "本人未刷单，系系统故障"})
    assert appeal.status_code == 201 and appeal.json()["status"] == "open", appeal.text
    assert await outbox_count(api, "contracts.account.restriction_appealed.v1", restriction_id=rid) == 1
    assert (await api.client.post(appeal_path, headers=channel, json={"grounds": "再次申诉"})).status_code == 409
    listed = (await api.client.get(appeal_path, headers=h)).json()
    assert [x["appeal_id"] for x in listed] == [appeal.json()["appeal_id"]]

    other = api.as_platform(world["b"])
    lift_path = f"/v1/account-restrictions/{rid}/lift"
    assert (await api.client.post(lift_path, headers=other, json={"reason": "x"})).status_code == 404
    assert (await api.client.post(lift_path, headers=api.department, json={"reason": "x"})).status_code == 403
    lifted = await api.client.post(lift_path, headers=h, json={"reason": "申诉核实，恢复账号"})
    assert lifted.status_code == 200 and lifted.json()["status"] == "lifted", lifted.text
    assert lifted.json()["lift_reason"] == "申诉核实，恢复账号"
    assert (await api.client.get(f"/v1/workers/{w['registration_id']}", headers=h)).json()["status"] == "active"
    assert (await api.client.get(appeal_path, headers=h)).json()[0]["status"] == "closed"
    assert await outbox_count(api, "contracts.account.restriction_lifted.v1", restriction_id=rid) == 1
    assert (await api.client.post(lift_path, headers=h, json={"reason": "again"})).status_code == 409
    # The worker appeals with his own token; another worker cannot even see the restriction.
    mine, by_regulator = await restrict(notice_given_at="2026-11-20T09:00:00+08:00")
    own_path = f"/v1/account-restrictions/{by_regulator['restriction_id']}/appeals"
    stranger = await api.client.post(own_path, headers=api.as_worker(w["worker_id"]), json={"grounds": "x"})
    assert stranger.status_code == 404
    own = await api.client.post(own_path, headers=api.as_worker(mine["worker_id"]), json={"grounds": "理由不实"})
    assert own.status_code == 201 and own.json()["worker_id"] == mine["worker_id"], own.text
    # The regulator may order a lift too.
    ordered = await api.client.post(
        f"/v1/account-restrictions/{by_regulator['restriction_id']}/lift",
        headers=api.regulator,
        json={"reason": "监管部门责令恢复"},
    )
    assert ordered.status_code == 200 and ordered.json()["status"] == "lifted"


async def test_lifting_a_cancellation_leaves_the_registration_as_the_restrictions_still_running_say(api, world):
    """Restricted, then cancelled: lifting the cancellation (a wrongful one, found on appeal) makes the
    account restricted again, not cancelled; lifting the restriction too makes it active (M5)."""
    a, h = world["a"], api.as_platform(world["a"])
    w = await api.worker(a)
    base = {"registration_id": w["registration_id"], "effective_at": "2026-11-27T09:00:00+08:00"}
    notice = {"notice_given_at": "2026-11-20T09:00:00+08:00"}
    restricted = await api.client.post(
        "/v1/account-restrictions",
        headers=h,
        json={**base, **notice, "action": "restrict", "reason_code": "order_fraud"},
    )
    cancelled = await api.client.post(
        "/v1/account-restrictions", headers=h, json={**base, **notice, "action": "cancel", "reason_code": "order_fraud"}
    )
    assert restricted.status_code == cancelled.status_code == 201, cancelled.text

    async def status() -> str:
        return (await api.client.get(f"/v1/workers/{w['registration_id']}", headers=h)).json()["status"]

    assert await status() == "cancelled"
    lift = {"reason": "申诉核实，注销有误"}
    path = "/v1/account-restrictions/{}/lift"
    assert (
        await api.client.post(path.format(cancelled.json()["restriction_id"]), headers=h, json=lift)
    ).status_code == 200
    assert await status() == "restricted"
    assert (
        await api.client.post(path.format(restricted.json()["restriction_id"]), headers=h, json=lift)
    ).status_code == 200
    assert await status() == "active"


# ---------------------------------------------------------------------------------------------
# Issue 8: rule register dates (M10)
# ---------------------------------------------------------------------------------------------
async def test_rule_register_dates_late_consultation_same_day_effect_and_entry_exit(api, world):
    h = api.as_platform(world["b"])
    base = {
        "topic": "platform_entry_exit",
        "title": "平台准入与退出规则",
        "content": "注册须实名认证。",
        "published_on": "2026-11-10",
        "effective_on": "2026-11-20",
    }
    late = await api.client.post(
        "/v1/rule-notices",
        headers=h,
        json={
            **base,
            "consultation": {"consulted_with": "union", "consulted_on": "2026-11-12", "opinion": "事后补充意见"},
        },
    )
    assert late.status_code == 201, late.text
    assert {f["rule"] for f in late.json()["findings"]} == {"M10.no_consultation"}
    same_day = await api.client.post(
        "/v1/rule-notices",
        headers=h,
        json={
            **base,
            "effective_on": "2026-11-10",
            "consultation": {"consulted_with": "union", "consulted_on": "2026-11-01", "opinion": "同意"},
        },
    )
    assert {f["rule"] for f in same_day.json()["findings"]} == {"M10.effective_without_notice"}
    for loose in ({"effective_on": 0}, {"published_on": 20261110}):
        r = await api.client.post("/v1/rule-notices", headers=h, json={**base, **loose})
        assert r.status_code == 422, r.text


# ---------------------------------------------------------------------------------------------
# Issue 8: the employment report ends with the termination
# ---------------------------------------------------------------------------------------------
async def test_a_terminated_contract_leaves_the_employment_report_after_its_termination(api):
    p = await api.platform()
    partner = await api.partner(p, "outsourcer", qualified=True)
    w = await api.worker(p)
    api.raw_ids.add(w["raw_id_number"])
    c = await api.signed(
        p, w["registration_id"], partner["enterprise_id"], start_date="2026-11-01", end_date="2027-10-31"
    )
    ended = await api.client.post(
        f"/v1/contracts/{c['contract_id']}/termination",
        headers=api.as_platform(p),
        json={"reason": "协商一致解除", "terminated_at": "2026-12-15T18:00:00+08:00"},
    )
    assert ended.status_code == 200, ended.text

    async def rows(period):
        r = await api.client.get(
            "/v1/reports/employment",
            headers=api.as_platform(p),
            params={"enterprise_id": partner["enterprise_id"], "period": period},
        )
        return [row["contract_id"] for row in r.json()["rows"]]

    assert await rows("2026-11") == [c["contract_id"]]
    assert await rows("2026-12") == [c["contract_id"]]
    assert await rows("2027-01") == []
    zero = await api.client.get(
        "/v1/reports/employment",
        headers=api.as_platform(p),
        params={"enterprise_id": partner["enterprise_id"], "period": "0000-01"},
    )
    assert zero.status_code == 422 and zero.headers["content-type"] == "application/problem+json"


async def test_every_request_example_in_the_openapi_document_is_accepted_by_the_live_api(api):
    """Issue 8 item 19: each example, sent as documented (ids of the resources the earlier examples
    created substituted for the example ids), is accepted; every operation with a body is covered."""
    doc = (await api.client.get("/openapi.json")).json()
    sent: set[tuple[str, str]] = set()

    async def post(template: str, headers: dict, schema: str, expect: int, **ids) -> dict:
        in_path = {k: ids.pop(k) for k in ("contract_id", "restriction_id") if k in ids}
        body = {**doc["components"]["schemas"][schema]["examples"][0], **ids}
        r = await api.client.post(template.format(**in_path), headers=headers, json=body)
        assert r.status_code == expect, (template, r.text)
        sent.add(("post", template))
        return r.json()

    platform = await post("/v1/platforms", api.admin, "PlatformCreate", 201)
    ph = api.as_platform(platform["platform_id"])
    await post("/v1/partners", ph, "PartnerCreate", 201)
    worker = await post("/v1/workers", ph, "WorkerCreate", 201)
    api.raw_ids.add(doc["components"]["schemas"]["WorkerCreate"]["examples"][0]["id_number"])
    wh = api.as_worker(worker["worker_id"])
    await post("/v1/classifications", api.department, "EngagementFactsIn", 200)
    reg = {"registration_id": worker["registration_id"]}
    contract = await post("/v1/contracts", ph, "ContractCreate", 201, **reg)
    cid = {"contract_id": contract["contract_id"]}
    await post("/v1/contracts/{contract_id}/send", ph, "SendContract", 200, **cid)
    await post("/v1/contracts/{contract_id}/signatures", wh, "SignatureCreate", 201, **cid)
    enterprise_signs = await api.client.post(
        f"/v1/contracts/{cid['contract_id']}/signatures",
        headers=ph,
        json={"signer": "enterprise", "intent": "盖章确认"},
    )
    assert enterprise_signs.status_code == 201, enterprise_signs.text
    await post("/v1/contracts/{contract_id}/termination", ph, "TerminationCreate", 200, **cid)
    draft = await post("/v1/contracts", ph, "ContractCreate", 201, **reg)
    await post("/v1/contracts/{contract_id}/discard", ph, "DiscardContract", 200, contract_id=draft["contract_id"])
    restriction = await post("/v1/account-restrictions", ph, "RestrictionCreate", 201, **reg)
    rid = {"restriction_id": restriction["restriction_id"]}
    await post("/v1/account-restrictions/{restriction_id}/appeals", wh, "AppealCreate", 201, **rid)
    await post("/v1/account-restrictions/{restriction_id}/lift", ph, "LiftCreate", 200, **rid)
    notice = await post("/v1/rule-notices", ph, "RuleNoticeCreate", 201)
    # A warning as contracts holds it from departments.events (this module runs no departments topic).
    warning_id = "fct_" + unique_name("w")[-20:]
    await execute(
        api.url,
        "insert into weather_warnings (warning_id, reference, version, district, level, hazard, starts_at, "
        "source, observed_at, updated_at) values (:w, 'XNQX-1', 1, 'chengxi', 'red', 'snow', "
        "'2026-12-07T06:00:00+08:00', '西宁市气象台', '2026-12-07T06:00:00+08:00', now())",
        w=warning_id,
    )
    await post(
        "/v1/weather-responses",
        ph,
        "WeatherResponseCreate",
        201,
        warning_id=warning_id,
        rule_notice_id=notice["notice_id"],
    )
    with_body = {(m, p) for p, item in doc["paths"].items() for m, op in item.items() if "requestBody" in op}
    assert sent == with_body


async def test_classification_endpoint_stores_nothing(api):
    before = await counts(api)
    r = await api.client.post("/v1/classifications", headers=api.department, json=CIVIL_FACTS)
    assert r.status_code == 200 and r.json()["suggested_type"] == "civil"
    assert len(r.json()["criteria"]) == 7 and all(c["reason"] for c in r.json()["criteria"])
    assert await counts(api) == before


async def test_a_dispatch_licence_expiring_mid_term_moves_liability_on_its_date(api, world):
    """M3: a licence valid at the start but running out during the term raises the finding on its
    first invalid day, through a deadline (not at drafting, not on a read); terminating cancels it."""
    from datetime import UTC, datetime

    from newform_common import deadlines
    from newform_contracts.contracts import service

    a = world["a"]
    agency = await api.partner(
        a, "dispatch_agency", dispatch_licence={"number": "青人社派许字〔2024〕0099号", "valid_until": "2027-03-31"}
    )
    signed = await api.signed(
        a, world["wa"]["registration_id"], agency["enterprise_id"], start_date="2026-12-01", end_date="2027-11-30"
    )
    cid = signed["contract_id"]
    assert not [f for f in signed["findings"] if f["rule"] == "M3.dispatch_licence_invalid"]
    due = await scalar(
        api.url,
        "select due_at from deadlines where subject_id = :c and kind = :k",
        c=cid,
        k=service.DECLARED_LICENCE_LAPSE,
    )
    assert due.isoformat().startswith("2027-03-31T16:00")  # the end of 2027-03-31 in Shanghai
    handlers = {service.DECLARED_LICENCE_LAPSE: service.declared_licence_lapsed}
    db = api.client._transport.app.state.db
    assert await deadlines.fire_due(db, handlers, now=datetime(2027, 3, 30, tzinfo=UTC)) == []
    fired = await deadlines.fire_due(db, handlers, now=datetime(2027, 4, 1, 1, tzinfo=UTC))
    assert [d.subject_id for d in fired] == [cid]
    found = (
        await api.client.get(
            "/v1/findings", headers=api.regulator, params={"subject_id": cid, "rule": "M3.dispatch_licence_invalid"}
        )
    ).json()["items"]
    assert len(found) == 1 and found[0]["evidence"]["invalid_from"] == "2027-04-01"
    assert found[0]["evidence"]["licence"] == "expired_during_term"

    ended = await api.signed(
        a, world["wa"]["registration_id"], agency["enterprise_id"], start_date="2026-12-01", end_date="2027-11-30"
    )
    await api.client.post(
        f"/v1/contracts/{ended['contract_id']}/termination", headers=api.as_platform(a), json={"reason": "协商一致"}
    )
    assert (
        await scalar(
            api.url,
            "select status from deadlines where subject_id = :c and kind = :k",
            c=ended["contract_id"],
            k=service.DECLARED_LICENCE_LAPSE,
        )
        == "cancelled"
    )


async def test_one_person_registering_with_two_platforms_at_once_is_one_worker_and_both_succeed(api, world):
    """Each registration looked for the person and, finding none, inserted them: side by side, the
    second's insert met the first's uncommitted row and failed (a 500) once the first committed."""
    from newform_common.testing import while_open
    from newform_contracts.pii import Pii
    from newform_contracts.workers.schemas import WorkerCreate

    id_number = resident_id()
    api.raw_ids.add(id_number)
    person = {
        "name": "张三丰",
        "id_number": id_number,
        "occupation": "food_delivery",
        "household_registration_place": "青海省西宁市城东区",
        "residence_district": "chengdong",
    }

    async def on_a(session):
        reg = await workers.register_worker(
            session, Pii(api.settings.pii_secret), world["a"], WorkerCreate(**person, phone="13900000001")
        )
        return reg.worker_id

    def on_b():
        return api.client.post(
            "/v1/workers", headers=api.as_platform(world["b"]), json={**person, "phone": "13900000002"}
        )

    worker_id, second = await while_open(api, on_a, on_b)
    assert second.status_code == 201, second.text
    assert second.json()["worker_id"] == worker_id
    assert await scalar(api.url, "select count(*) from registrations where worker_id = :w", w=worker_id) == 2


async def test_a_registration_restricted_while_it_is_cancelled_is_refused_not_reopened(api, world):
    """Each restriction checked the registration's status, then set it: side by side, both passed the
    check, and a restriction committed after the cancellation turned the cancelled account "restricted"."""
    from newform_common.auth import Principal, Role
    from newform_common.testing import while_open
    from newform_contracts.restrictions.schemas import RestrictionCreate

    a = world["a"]
    worker = await api.worker(a)
    cancel = {
        "registration_id": worker["registration_id"],
        "action": "cancel",
        "reason_code": "order_fraud",
        "notice_given_at": "2026-11-20T09:00:00+08:00",
        "effective_at": "2026-11-27T09:00:00+08:00",
    }

    async def cancels(session):
        platform = Principal(subject=f"backend-{a}", role=Role.platform, platform_id=a)
        return await restrictions.restrict_account(session, platform, RestrictionCreate(**cancel))

    def restricts():
        return api.client.post(
            "/v1/account-restrictions", headers=api.as_platform(a), json={**cancel, "action": "restrict"}
        )

    _, second = await while_open(api, cancels, restricts)
    assert second.status_code == 409, second.text
    assert (await api.client.get(f"/v1/workers/{worker['registration_id']}", headers=api.as_platform(a))).json()[
        "status"
    ] == "cancelled"


async def test_two_versions_of_a_rule_published_at_once_are_versions_1_and_2(api):
    """Each publication took the topic's latest version + 1: side by side, both took version 1 and the
    second failed on the unique version instead of becoming version 2."""
    from newform_common.testing import while_open
    from newform_contracts.rules_register.schemas import RuleNoticeCreate

    platform = await api.platform()
    notice = {
        "topic": "piece_rates",
        "title": "配送单价",
        "content": "基础单价4.5元\n",
        "consultation": {"consulted_with": "union", "consulted_on": "2026-11-01", "opinion": "同意"},
        "published_on": "2026-11-10",
        "effective_on": "2026-11-20",
    }

    async def publishes(session):
        n, _ = await rules_register.publish_rule_notice(session, platform, RuleNoticeCreate(**notice))
        return n.version

    def publishes_too():
        return api.client.post(
            "/v1/rule-notices", headers=api.as_platform(platform), json={**notice, "content": "基础单价4元\n"}
        )

    first, second = await while_open(api, publishes, publishes_too)
    assert second.status_code == 201, second.text
    assert (first, second.json()["version"]) == (1, 2)
