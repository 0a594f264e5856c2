"""Complaints (M10, M20), per role: a worker files, the platform answers in time or a finding is
raised, the worker accepts or escalates. Real PostgreSQL and Kafka."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from newform_common import calendar
from newform_common.policy import business_date
from newform_common.testing import eventually, fetch, resident_id, scalar, worker_id_of
from newform_contracts.events import ContractDiscarded


def ids() -> tuple[str, str]:
    return worker_id_of(resident_id()), "p" + secrets.token_hex(5)


def today():
    return business_date(datetime.now(UTC))


async def test_a_worker_files_a_complaint_on_their_engagement_and_sees_the_reply_clock(disputes):
    api = disputes.api
    worker, pid = ids()
    contract = await disputes.engagement(worker, pid, occupation="courier", district="chengbei")
    r = await api.client.post(
        "/v1/complaints",
        headers=api.as_worker(worker),
        json={
            "category": "pay",
            "description": "上月工资未按时足额发放",
            "contract_id": contract,
            "attachments": ["oss://evidence/pay-slip-2025-06.jpg"],
        },
    )
    assert r.status_code == 201, r.text
    complaint = r.json()
    assert complaint["platform_id"] == pid and complaint["worker_id"] == worker
    assert complaint["occupation"] == "courier" and complaint["district"] == "chengbei"
    assert complaint["engagement_type"] == "labor_contract"
    assert complaint["status"] == "awaiting_reply"
    # 5 days from filing, counted by the period rule (a last day on a rest day moves to the next working day).
    due = calendar.period_end(today(), 5).last_day
    assert complaint["reply_due_on"] == due.isoformat()
    [clock] = complaint["clocks"]
    assert clock["kind"] == "disputes.complaint_reply" and clock["status"] == "pending"
    assert clock["last_day"] == complaint["reply_due_on"] and clock["days_left"] == (due - today()).days
    # A pay complaint cannot be remedied anonymously: the platform sees whose pay it is.
    assert complaint["identity_masked"] is False
    seen = await api.client.get(f"/v1/complaints/{complaint['complaint_id']}", headers=api.as_platform(pid))
    assert seen.status_code == 200 and seen.json()["worker_id"] == worker
    events = await fetch(api.url, "select type from outbox where key = :k", k=pid)
    assert {"disputes.complaint.filed.v1"} <= {e["type"] for e in events}


async def test_the_complainant_is_masked_to_the_platform_where_the_category_allows(disputes):
    api = disputes.api
    worker, pid = ids()
    r = await api.client.post(
        "/v1/complaints",
        headers=api.as_worker(worker),
        json={
            "category": "discrimination",
            "description": "派单按年龄区别对待",
            "platform_id": pid,
            "occupation": "food_delivery",
            "district": "chengxi",
        },
    )
    assert r.status_code == 201, r.text
    complaint_id = r.json()["complaint_id"]
    assert r.json()["identity_masked"] is True and r.json()["worker_id"] == worker  # the worker sees themself
    as_platform = (await api.client.get(f"/v1/complaints/{complaint_id}", headers=api.as_platform(pid))).json()
    assert as_platform["worker_id"] is None and as_platform["description"] == "派单按年龄区别对待"
    listed = (await api.client.get("/v1/complaints", headers=api.as_platform(pid))).json()["items"]
    assert [c["worker_id"] for c in listed if c["complaint_id"] == complaint_id] == [None]
    # Oversight sees the complainant.
    assert (await api.client.get(f"/v1/complaints/{complaint_id}", headers=api.department("hrss"))).json()[
        "worker_id"
    ] == worker


async def test_a_complaint_is_never_visible_to_another_platform_or_another_worker(disputes):
    api = disputes.api
    worker, pid = ids()
    r = await api.client.post(
        "/v1/complaints",
        headers=api.as_worker(worker),
        json={"category": "deductions", "description": "超时罚款过高", "platform_id": pid},
    )
    complaint_id = r.json()["complaint_id"]
    other_worker, other_pid = ids()
    for headers in (api.as_platform(other_pid), api.as_worker(other_worker)):
        assert (await api.client.get(f"/v1/complaints/{complaint_id}", headers=headers)).status_code == 404
        listed = (await api.client.get("/v1/complaints", headers=headers)).json()["items"]
        assert complaint_id not in [c["complaint_id"] for c in listed]
    answer = await api.client.post(
        f"/v1/complaints/{complaint_id}/answer", headers=api.as_platform(other_pid), json={"answer": "不是我们的"}
    )
    assert answer.status_code == 404


async def test_a_complaint_about_someone_elses_engagement_is_not_found_and_nothing_is_stored(disputes):
    api = disputes.api
    owner, pid = ids()
    contract = await disputes.engagement(owner, pid)
    intruder, _ = ids()
    r = await api.client.post(
        "/v1/complaints",
        headers=api.as_worker(intruder),
        json={"category": "pay", "description": "x", "contract_id": contract},
    )
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert await scalar(api.url, "select count(*) from complaints where worker_id = :w", w=intruder) == 0
    assert (
        await scalar(
            api.url,
            "select count(*) from deadlines d join complaints c on c.id = d.subject_id where c.worker_id = :w",
            w=intruder,
        )
        == 0
    )


async def test_bad_complaints_are_clear_problems(disputes):
    api = disputes.api
    worker, pid = ids()
    contract = await disputes.engagement(worker, pid)
    cases = [
        ({"category": "weather", "description": "x", "platform_id": pid}, 422, "unknown-category"),
        ({"category": "pay", "description": "x"}, 422, "no-respondent"),
        (
            {"category": "pay", "description": "x", "contract_id": contract, "platform_id": "pother"},
            422,
            "platform-mismatch",
        ),
        ({"category": "pay", "description": "x", "platform_id": pid, "district": "atlantis"}, 422, "unknown-district"),
        ({"category": "pay", "description": "", "platform_id": pid}, 422, "validation"),
    ]
    for body, status, slug in cases:
        r = await api.client.post("/v1/complaints", headers=api.as_worker(worker), json=body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["type"].endswith(slug), r.json()
    assert await scalar(api.url, "select count(*) from complaints where worker_id = :w", w=worker) == 0
    # Only workers file complaints.
    r = await api.client.post(
        "/v1/complaints", headers=api.as_platform(pid), json={"category": "pay", "description": "x", "platform_id": pid}
    )
    assert r.status_code == 403


async def test_the_platform_answers_in_time_and_the_worker_accepts(disputes):
    api = disputes.api
    worker, pid = ids()
    r = await api.client.post(
        "/v1/complaints",
        headers=api.as_worker(worker),
        json={"category": "account_restriction", "description": "账号被无故封禁", "platform_id": pid},
    )
    complaint_id = r.json()["complaint_id"]
    accept_too_early = await api.client.post(f"/v1/complaints/{complaint_id}/acceptance", headers=api.as_worker(worker))
    assert accept_too_early.status_code == 409
    answered = await api.client.post(
        f"/v1/complaints/{complaint_id}/answer", headers=api.as_platform(pid), json={"answer": "已核实，账号已解封"}
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"
    assert answered.json()["clocks"][0]["status"] == "cancelled"
    again = await api.client.post(
        f"/v1/complaints/{complaint_id}/answer", headers=api.as_platform(pid), json={"answer": "再答一次"}
    )
    assert again.status_code == 409
    accepted = await api.client.post(f"/v1/complaints/{complaint_id}/acceptance", headers=api.as_worker(worker))
    assert accepted.status_code == 200 and accepted.json()["resolution"] == "accepted"
    # Nothing runs out later: the clock was cancelled by the answer.
    due = datetime.fromisoformat(answered.json()["clocks"][0]["due_at"])
    assert ("disputes.complaint_reply", complaint_id) not in await disputes.fire(due + timedelta(seconds=1))
    assert await scalar(api.url, "select count(*) from findings where subject_id = :s", s=complaint_id) == 0


async def test_no_answer_in_time_is_a_finding_raised_once_with_its_event(disputes):
    api = disputes.api
    worker, pid = ids()
    r = await api.client.post(
        "/v1/complaints",
        headers=api.as_worker(worker),
        json={
            "category": "rules_algorithms",
            "description": "派单算法不透明",
            "platform_id": pid,
            "occupation": "ride_hailing",
            "district": "chengzhong",
        },
    )
    complaint = r.json()
    due = datetime.fromisoformat(complaint["clocks"][0]["due_at"])
    clock = ("disputes.complaint_reply", complaint["complaint_id"])
    assert clock not in await disputes.fire(due - timedelta(seconds=1))
    assert clock in await disputes.fire(due + timedelta(seconds=1))
    assert clock not in await disputes.fire(due + timedelta(days=1))  # fired once
    seen = (await api.client.get(f"/v1/complaints/{complaint['complaint_id']}", headers=api.as_worker(worker))).json()
    assert seen["reply_overdue"] is True and seen["clocks"][0]["status"] == "fired"
    assert [f["rule"] for f in seen["findings"]] == ["M10.complaint_reply_overdue"]
    findings = (await api.client.get("/v1/findings", headers=api.as_platform(pid))).json()["items"]
    [finding] = [f for f in findings if f["subject_id"] == complaint["complaint_id"]]
    assert finding["measure"] == "M10" and finding["platform_id"] == pid
    assert finding["worker_id"] is None  # masked category: the finding does not name the complainant
    assert finding["occupation"] == "ride_hailing" and finding["district"] == "chengzhong"
    events = {
        e["type"] for e in await fetch(api.url, "select type from outbox where key = :k", k=complaint["complaint_id"])
    }
    assert {"disputes.finding.raised.v1", "disputes.clock.expired.v1"} <= events
    # A late answer is still taken; the finding stays.
    late = await api.client.post(
        f"/v1/complaints/{complaint['complaint_id']}/answer",
        headers=api.as_platform(pid),
        json={"answer": "迟到的答复"},
    )
    assert late.status_code == 200 and late.json()["findings"][0]["rule"] == "M10.complaint_reply_overdue"


async def test_escalation_to_a_department_is_a_finding_under_the_categorys_measure(disputes):
    api = disputes.api
    worker, pid = ids()
    expected = {"pay": "M6", "discrimination": "M5", "safety": "M8"}
    for category, measure in expected.items():
        r = await api.client.post(
            "/v1/complaints",
            headers=api.as_worker(worker),
            json={
                "category": category,
                "description": "投诉",
                "platform_id": pid,
                "occupation": "ride_hailing",
                "district": "chengxi",
            },
        )
        complaint_id = r.json()["complaint_id"]
        escalated = await api.client.post(
            f"/v1/complaints/{complaint_id}/escalation", headers=api.as_worker(worker), json={"to": "department"}
        )
        assert escalated.status_code == 200, escalated.text
        body = escalated.json()
        assert body["status"] == "resolved" and body["resolution"] == "department"
        assert body["escalation_measure"] == measure
        assert [f["rule"] for f in body["findings"]] == [f"{measure}.complaint_escalated"]
        assert body["clocks"][0]["status"] == "cancelled"
        again = await api.client.post(
            f"/v1/complaints/{complaint_id}/escalation", headers=api.as_worker(worker), json={"to": "mediation"}
        )
        assert again.status_code == 409
    # The platform cannot escalate for the worker.
    r = await api.client.post(
        "/v1/complaints",
        headers=api.as_worker(worker),
        json={"category": "pay", "description": "x", "platform_id": pid},
    )
    assert (
        await api.client.post(
            f"/v1/complaints/{r.json()['complaint_id']}/escalation",
            headers=api.as_platform(pid),
            json={"to": "department"},
        )
    ).status_code == 403


async def test_escalation_to_mediation_opens_a_case_classified_by_the_engagement(disputes):
    api = disputes.api
    worker, pid = ids()
    contract = await disputes.engagement(worker, pid, engagement_type="civil")
    r = await api.client.post(
        "/v1/complaints",
        headers=api.as_worker(worker),
        json={"category": "pay", "description": "押金不退、工资拖欠", "contract_id": contract},
    )
    complaint_id = r.json()["complaint_id"]
    escalated = await api.client.post(
        f"/v1/complaints/{complaint_id}/escalation",
        headers=api.as_worker(worker),
        json={
            "to": "mediation",
            "claims": [{"item": "拖欠工资", "amount_fen": 680000}, {"item": "押金", "amount_fen": 50000}],
            "facts": ["enterprise_sets_rules_and_discipline", "enterprise_controls_schedule", "enterprise_sets_pay"],
        },
    )
    assert escalated.status_code == 200, escalated.text
    case_id = escalated.json()["case_id"]
    case = (await api.client.get(f"/v1/cases/{case_id}", headers=api.as_worker(worker))).json()
    assert case["stage"] == "received" and case["complaint_id"] == complaint_id
    assert case["track"] == "people_mediation_court" and case["engagement_type"] == "civil"
    assert case["claims_total_fen"] == 730000
    # A civil contract with the facts of a labour relationship: the misclassification question (M1).
    assert case["misclassification_question"] is True
    assert [f["rule"] for f in case["findings"]] == ["M1.misclassification_question"]
    assert (await api.client.get(f"/v1/cases/{case_id}", headers=api.as_platform(pid))).status_code == 200
    assert (await api.client.get(f"/v1/cases/{case_id}", headers=api.as_platform("pother"))).status_code == 404


async def test_a_retried_filing_with_the_same_idempotency_key_files_one_complaint(disputes):
    api = disputes.api
    worker, pid = ids()
    body = {"category": "deposits_fees", "description": "入职收取押金500元", "platform_id": pid}
    headers = {**api.as_worker(worker), "Idempotency-Key": "file-" + secrets.token_hex(4)}
    first = await api.client.post("/v1/complaints", headers=headers, json=body)
    again = await api.client.post("/v1/complaints", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json()["complaint_id"] == first.json()["complaint_id"]
    assert await scalar(api.url, "select count(*) from complaints where worker_id = :w", w=worker) == 1
    listed = (await api.client.get("/v1/complaints", headers=api.as_worker(worker))).json()["items"]
    assert [c["complaint_id"] for c in listed] == [first.json()["complaint_id"]]
    assert listed[0]["clocks"][0]["kind"] == "disputes.complaint_reply"


async def test_our_copy_of_an_engagement_follows_contracts_to_a_discarded_draft(disputes):
    api = disputes.api
    worker, pid = ids()
    contract = await disputes.engagement(worker, pid)
    await disputes.contracts.send(
        ContractDiscarded(
            contract_id=contract,
            worker_id=worker,
            platform_id=pid,
            enterprise_id=pid,
            engagement_type="labor_contract",
            at=datetime.now(UTC),
            withdrawn_findings=0,
        )
    )

    async def discarded():
        return await scalar(api.url, "select status from engagements where contract_id = :c", c=contract) == "discarded"

    await eventually(discarded)
    # A complaint may still concern it (a deposit asked for at drafting, say).
    r = await api.client.post(
        "/v1/complaints",
        headers=api.as_worker(worker),
        json={"category": "deposits_fees", "description": "签约时要求交押金", "contract_id": contract},
    )
    assert r.status_code == 201 and r.json()["platform_id"] == pid
