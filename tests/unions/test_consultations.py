"""Consultation on platform rules (M10): the platform's reply clock, and a rule version published while
the covering union's consultation has no outcome."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from newform_common.testing import eventually
from newform_contracts.events import RuleNoticePublished

from .helpers import days_ago, findings_of, platform, today, union


async def _request(api, uid: str, pid: str, *, requested_on: str, base_version: int | None = 1) -> dict:
    r = await api.client.post(
        "/v1/consultations",
        headers=api.department("union"),
        json={
            "union_id": uid,
            "platform_id": pid,
            "topic": "piece_rates",
            "base_version": base_version,
            "subject": "就配送单价调整提出协商要求",
            "requested_on": requested_on,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_request_left_unanswered_past_its_reply_period_is_a_finding(unions):
    api = unions.api
    pid = platform()
    uid = await union(api, [pid])
    c = await _request(api, uid, pid, requested_on=days_ago(25))
    due = date.fromisoformat(c["reply_due_on"])
    assert due >= date.fromisoformat(c["requested_on"]) + timedelta(days=20)
    assert c["status"] == "requested" and c["reply_clock"]["kind"] == "unions.consultation.reply"

    fired = await unions.fire(datetime.now(UTC) + timedelta(days=30))
    assert ("unions.consultation.reply", c["consultation_id"]) in fired
    [finding] = await findings_of(api, c["consultation_id"], "M10.consultation_unanswered")
    assert finding["platform_id"] == pid and finding["measure"] == "M10"

    late = await api.client.post(
        f"/v1/consultations/{c['consultation_id']}/reply",
        headers=api.as_platform(pid),
        json={"replied_on": today().isoformat(), "reply": "同意协商"},
    )
    assert late.status_code == 200 and late.json()["status"] == "replied" and late.json()["reply_clock"] is None
    assert len(await findings_of(api, c["consultation_id"], "M10.consultation_unanswered")) == 1


async def test_a_consultation_answered_in_time_runs_to_its_outcome_with_no_finding(unions):
    api = unions.api
    pid = platform()
    uid = await union(api, [pid])
    c = await _request(api, uid, pid, requested_on=days_ago(3))
    cid = c["consultation_id"]
    other = await api.client.post(
        f"/v1/consultations/{cid}/reply",
        headers=api.as_platform(platform()),
        json={"replied_on": days_ago(1), "reply": "x"},
    )
    assert other.status_code == 404
    replied = await api.client.post(
        f"/v1/consultations/{cid}/reply",
        headers=api.as_platform(pid),
        json={"replied_on": days_ago(2), "reply": "同意"},
    )
    assert replied.status_code == 200, replied.text
    opinion = await api.client.post(
        f"/v1/consultations/{cid}/opinions",
        headers=api.department("union"),
        json={"on": days_ago(1), "text": "不低于5元"},
    )
    assert opinion.status_code == 200 and opinion.json()["opinions"][0]["by"] == "union"
    future = await api.client.post(
        f"/v1/consultations/{cid}/outcome",
        headers=api.department("union"),
        json={"outcome": "agreed", "concluded_on": (today() + timedelta(days=1)).isoformat()},
    )
    assert future.status_code == 422 and future.json()["rule"] == "M17.date_in_future"
    done = await api.client.post(
        f"/v1/consultations/{cid}/outcome",
        headers=api.department("union"),
        json={"outcome": "agreed", "concluded_on": today().isoformat()},
    )
    assert done.status_code == 200 and done.json()["status"] == "concluded" and done.json()["outcome"] == "agreed"
    await unions.fire(datetime.now(UTC) + timedelta(days=60))
    assert await findings_of(api, cid, "M10.consultation_unanswered") == []


async def test_a_rule_version_published_while_the_unions_consultation_has_no_outcome_is_a_finding(unions):
    api = unions.api
    pid = platform()
    uid = await union(api, [pid])
    c = await _request(api, uid, pid, requested_on=days_ago(5), base_version=1)

    def notice(version: int, published_on: date) -> RuleNoticePublished:
        return RuleNoticePublished(
            notice_id=f"rn_{pid}_{version}",
            platform_id=pid,
            topic="piece_rates",
            version=version,
            consulted=False,
            published_on=published_on,
            effective_on=published_on + timedelta(days=7),
        )

    await unions.contracts.send(notice(1, today() - timedelta(days=30)))  # the version under consultation
    await unions.contracts.send(notice(2, today() - timedelta(days=1)))

    async def raised():
        return await findings_of(api, f"rn_{pid}_2", "M10.rule_published_during_consultation")

    [finding] = await eventually(raised)
    assert finding["platform_id"] == pid and finding["evidence"]["consultation_id"] == c["consultation_id"]
    assert await findings_of(api, f"rn_{pid}_1", "M10.rule_published_during_consultation") == []
