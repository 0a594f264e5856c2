"""The alert path on a polled batch: findings are projected set-based, the gateway's own alert actions
between them in order — a batch must leave exactly what the same events one at a time leave, when a
finding and the actions on its alert arrive in one batch (as in a rebuild, or a slow consumer)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from newform_common.db import Database
from newform_common.events import Envelope
from newform_gateway.config import Settings
from newform_gateway.main import context_for
from newform_gateway.projections.runner import project_batch
from newform_gateway.rebuild import compare

from ..kit.feed import EventFeed
from ..kit.gateway import migrated_database

RULE = "M3.dispatch_licence_invalid"  # M3: hrss decides; its penalty (查处) makes a credit record


def action(kind: str, alert_id: str, at: datetime, *, department: str, outcome: str | None = None) -> Envelope:
    data = {
        "alert_id": alert_id,
        "actor": f"officer@{department}",
        "actor_role": "department",
        "actor_department": department,
        "note": None,
        "at": at.isoformat(),
    }
    if outcome:
        data["outcome"] = outcome
    return Envelope(
        id=str(uuid.uuid4()),
        source="/newform/gateway",
        type=f"gateway.alert.{kind}.v1",
        time=at,
        key=alert_id,
        subject=alert_id,
        data=data,
    )


async def story() -> tuple[list[Envelope], dict[str, str]]:
    """A contract, two findings of one rule about it (and the first one re-published), the lead's
    confirming decision, the rule firing again (a new alert) and an acknowledgement of that one."""
    pub = EventFeed.collecting()
    subject = f"c_{uuid.uuid4().hex[:8]}"
    await pub.enterprise("p_batch", district="chengbei")
    await pub.worker("w_batch", "p_batch")
    await pub.contract(subject, "w_batch", "p_batch")
    first = await pub.finding(
        measure="M3",
        rule=RULE,
        subject_id=subject,
        platform_id="p_batch",
        severity="low",
        evidence={"policy_basis": {"provisional": True}},
    )
    await pub.finding(measure="M3", rule=RULE, subject_id=subject, platform_id="p_batch", severity="high")
    await pub.again(first)  # a service's retry: the same finding, a new event
    alert, again = f"alr_{first.data['finding_id']}", f"f_again_{uuid.uuid4().hex[:8]}"
    later = datetime.now(UTC) + timedelta(seconds=1)
    events = [*pub.sent, action("resolved", alert, later, department="hrss", outcome="penalized")]
    pub.sent.clear()
    await pub.finding(measure="M3", rule=RULE, subject_id=subject, platform_id="p_batch", finding_id=again)
    events += [*pub.sent, action("acknowledged", f"alr_{again}", later + timedelta(seconds=1), department="union")]
    return events, {"first": alert, "again": f"alr_{again}"}


async def project(url: str, batches: list[list[Envelope]], *, webhooks: bool = True) -> None:
    settings = Settings(database_url=url, jwt_public_key="unused")
    ctx = dataclasses.replace(context_for(settings), webhooks=webhooks)
    db = Database(url, service="gateway-test")
    try:
        async with db.transaction() as session:  # a webhook of the lead and one of a joining department
            await session.execute(
                text(
                    "insert into webhooks (department, url, secret, active, created_by) values "
                    "('hrss', 'http://hrss.invalid/h', 's', true, 't'), "
                    "('union', 'http://union.invalid/h', 's', true, 't')"
                )
            )
        for batch in batches:
            async with db.transaction() as session:
                await project_batch(session, batch, ctx)
    finally:
        await db.dispose()


async def rows(url: str, sql: str) -> list[tuple]:
    db = Database(url, service="gateway-test")
    try:
        async with db.transaction() as session:
            return [tuple(r) for r in await session.execute(text(sql))]
    finally:
        await db.dispose()


async def test_one_batch_leaves_what_the_events_one_at_a_time_leave(new_database):
    events, ids = await story()
    one_batch, one_by_one = await migrated_database(new_database), await migrated_database(new_database)
    await project(one_batch, [events])
    await project(one_by_one, [[e] for e in events])

    assert await compare(one_by_one, one_batch) == {}
    alerts = await rows(
        one_batch,
        "select alert_id, status, resolution, occurrences, severity, district, "
        "jsonb_array_length(evidence) from alerts order by raised_at",
    )
    assert alerts == [
        (ids["first"], "resolved", "penalized", 2, "high", "chengbei", 2),
        (ids["again"], "acknowledged", None, 1, "high", "chengbei", 1),
    ]
    chain = (await rows(one_batch, "select evidence_chain from credit_records"))[0][0]
    assert [c["role"] for c in chain] == ["source", "finding", "finding", "confirmation"]  # drafted, both findings
    # Each department's webhook hears of each step once; "raised" carries the alert as it was raised.
    deliveries = await rows(
        one_batch,
        "select alert_id, payload ->> 'department', payload ->> 'event', "
        "jsonb_array_length(payload -> 'evidence') from webhook_deliveries",
    )
    assert sorted(deliveries) == sorted(
        [
            (ids["first"], "hrss", "alert.raised", 1),
            (ids["first"], "union", "alert.raised", 1),
            (ids["first"], "hrss", "alert.resolved", 2),
            (ids["first"], "union", "alert.resolved", 2),
            (ids["again"], "hrss", "alert.raised", 1),
            (ids["again"], "union", "alert.raised", 1),
            (ids["again"], "hrss", "alert.acknowledged", 1),
            (ids["again"], "union", "alert.acknowledged", 1),
        ]
    )
    assert sorted(deliveries) == sorted(
        await rows(
            one_by_one,
            "select alert_id, payload ->> 'department', payload ->> 'event', "
            "jsonb_array_length(payload -> 'evidence') from webhook_deliveries",
        )
    )


async def test_a_rebuild_context_writes_the_same_alerts_and_no_webhook_deliveries(new_database):
    events, _ = await story()
    live, rebuilt = await migrated_database(new_database), await migrated_database(new_database)
    await project(live, [events])
    await project(rebuilt, [events], webhooks=False)
    assert await compare(live, rebuilt) == {}
    assert await rows(rebuilt, "select count(*) from webhook_deliveries") == [(0,)]


async def test_two_alerts_of_one_debt_decided_in_one_batch_make_the_record_the_first_decision_made(new_database):
    """A related unit's unpaid pay noticed by two clocks (a statement's and the engagement period's: two
    alerts, one debt): the first confirmation makes the credit record, the second joins its chain (one
    debt, one record) — in one batch as one at a time, though the first alert took a step more before it."""
    pub = EventFeed.collecting()
    debt = {
        "related_unit_id": "ru_1",
        "credit_code": "91630100MA7000001X",
        "unit_name": "某劳务公司",
        "contract_id": "c_debt",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "arrears_fen": 300000,
    }
    first, second = [
        await pub.finding(
            measure="M6", rule="M6.wage_arrears", subject_id=subject, subject_type=kind, evidence=debt, source="wages"
        )
        for subject, kind in (("st_debt", "statement"), ("ep_debt", "engagement_period"))
    ]
    later = datetime.now(UTC) + timedelta(seconds=1)
    first_alert, second_alert = (f"alr_{f.data['finding_id']}" for f in (first, second))
    events = [
        *pub.sent,
        action("acknowledged", first_alert, later, department="hrss"),
        action("resolved", first_alert, later + timedelta(seconds=1), department="hrss", outcome="confirmed"),
        action("resolved", second_alert, later + timedelta(seconds=2), department="hrss", outcome="warned"),
    ]
    one_batch, one_by_one = await migrated_database(new_database), await migrated_database(new_database)
    await project(one_batch, [events])
    await project(one_by_one, [[e] for e in events])

    assert await compare(one_by_one, one_batch) == {}
    [(alert_id, chain)] = await rows(one_batch, "select alert_id, evidence_chain from credit_records")
    assert alert_id == first_alert
    confirmations = [c["alert_id"] for c in chain if c["role"] == "confirmation"]
    assert confirmations == [first_alert, second_alert]
