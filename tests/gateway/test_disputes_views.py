"""The gateway's disputes figures from disputes' own events, through real Kafka and PostgreSQL:
cases by stage, sector and district, median durations, the mediation success rate, clocks run out,
per-platform complaint figures — and events arriving out of order across partitions."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

import pytest

from newform_common.testing import app_client, eventually, resident_id, unique_name, worker_id_of
from newform_disputes.events import CaseStageChanged, ClockExpired, ComplaintAnswered, ComplaintFiled, ComplaintResolved
from newform_gateway.main import create_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics

T0 = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def gw(new_database, kafka, tokens):
    prefix = unique_name("gwd").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "disputes", "gateway"))
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    async with app_client(create_app(settings)) as client:
        client.pub = EventFeed(kafka.bootstrap_servers, prefix, source="disputes")
        yield client


async def publish(gw, *events) -> None:
    for event in events:
        await gw.pub.send(event, source="disputes")


def stage(
    case_id: str,
    pid: str,
    stage: str,
    previous: str | None,
    days: int,
    *,
    reason: str = "x",
    occupation: str = "courier",
    district: str = "datong",
    track: str = "labour_arbitration",
) -> CaseStageChanged:
    return CaseStageChanged(
        case_id=case_id,
        platform_id=pid,
        category="pay",
        occupation=occupation,
        district=district,
        track=track,
        stage=stage,
        previous_stage=previous,
        reason=reason,
        claims_total_fen=680000,
        received_at=T0,
        at=T0 + timedelta(days=days),
    )


async def overview(gw, tokens) -> dict:
    r = await gw.get("/v1/disputes/overview", headers=tokens.headers("regulator"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_cases_by_stage_sector_and_district_median_days_and_the_mediation_success_rate(gw, tokens):
    pid = "p" + secrets.token_hex(4)
    a, b, c, d = (f"case_{pid}_{n}" for n in "abcd")
    await publish(
        gw,
        stage(a, pid, "received", None, 0),
        stage(a, pid, "mediating", "received", 1),
        stage(a, pid, "agreement", "mediating", 5),
        stage(a, pid, "fulfilled", "agreement", 10),
        stage(b, pid, "received", None, 0, occupation="ride_hailing", district="chengxi"),
        stage(b, pid, "mediating", "received", 1, occupation="ride_hailing", district="chengxi"),
        stage(
            b,
            pid,
            "no_agreement",
            "mediating",
            16,
            reason="mediation_limit_passed",
            occupation="ride_hailing",
            district="chengxi",
        ),
        stage(b, pid, "arbitration_requested", "no_agreement", 20, occupation="ride_hailing", district="chengxi"),
        stage(
            b, pid, "arbitration_accepted", "arbitration_requested", 22, occupation="ride_hailing", district="chengxi"
        ),
        stage(b, pid, "awarded", "arbitration_accepted", 60, occupation="ride_hailing", district="chengxi"),
        stage(c, pid, "received", None, 0),
        stage(c, pid, "withdrawn", "received", 2),
        stage(d, pid, "received", None, 0),
        stage(d, pid, "mediating", "received", 1),
        stage(d, pid, "agreement", "mediating", 3),
    )

    async def projected():
        data = await overview(gw, tokens)
        return data if data["cases"]["by_stage"].get("agreement") == 1 and data["cases"]["total"] == 4 else None

    data = await eventually(projected)
    assert data["cases"]["by_stage"] == {"fulfilled": 1, "awarded": 1, "withdrawn": 1, "agreement": 1}
    assert data["cases"]["by_sector"] == {"courier": 3, "ride_hailing": 1}
    assert data["cases"]["by_district"] == {"datong": 3, "chengxi": 1}
    # Closed after 10, 60 and 2 days: the median is 10.
    assert data["cases"]["median_days_to_close"] == 10.0
    # Mediation ended in agreement twice, without once; the withdrawal is not a mediation outcome.
    assert data["mediation"] == {"ended": 3, "agreements": 2, "success_rate": 0.667}


async def test_complaint_figures_per_platform_even_when_the_clock_arrives_before_the_complaint(gw, tokens):
    pid = "p" + secrets.token_hex(4)
    late, answered, escalated = (f"cmp_{pid}_{n}" for n in ("late", "answered", "escalated"))
    common = dict(platform_id=pid, category="rules_algorithms", occupation="food_delivery", district="chengdong")
    # The clock's event is keyed by its subject, the complaint's by its platform: another partition.
    await publish(
        gw,
        ClockExpired(
            kind="disputes.complaint_reply",
            subject_id=late,
            platform_id=pid,
            worker_id="w_x",
            due_at=T0 + timedelta(days=6),
            finding_id="fnd_1",
        ),
    )
    await publish(
        gw,
        ComplaintFiled(complaint_id=late, enterprise_id=None, filed_at=T0, reply_due_on=date(2025, 7, 6), **common),
        ComplaintFiled(complaint_id=answered, enterprise_id=None, filed_at=T0, reply_due_on=date(2025, 7, 6), **common),
        ComplaintAnswered(
            complaint_id=answered, filed_at=T0, answered_at=T0 + timedelta(hours=30), on_time=True, **common
        ),
        ComplaintFiled(
            complaint_id=escalated, enterprise_id=None, filed_at=T0, reply_due_on=date(2025, 7, 6), **common
        ),
        ComplaintAnswered(
            complaint_id=escalated, filed_at=T0, answered_at=T0 + timedelta(hours=50), on_time=True, **common
        ),
        ComplaintResolved(
            complaint_id=escalated,
            resolution="department",
            escalation_measure="M10",
            filed_at=T0,
            resolved_at=T0 + timedelta(days=3),
            **common,
        ),
    )

    async def projected():
        mine = [p for p in (await overview(gw, tokens))["platforms"] if p["platform_id"] == pid]
        return mine[0] if mine and mine[0]["complaints"] == 3 and mine[0]["escalations"] == 1 else None

    mine = await eventually(projected)
    assert mine == {
        "platform_id": pid,
        "complaints": 3,
        "answered": 2,
        "answered_on_time": 2,
        "reply_overdue": 1,
        "median_reply_hours": 40.0,
        "escalations": 1,
        "escalated_to_departments": 1,
        "cases": 0,
    }
    data = await overview(gw, tokens)
    assert data["clocks_run_out"].get("disputes.complaint_reply", 0) >= 1
    assert data["complaints"]["by_category"]["rules_algorithms"] >= 3


async def test_disputes_figures_are_for_departments_and_the_regulator_only(gw, tokens):
    worker = tokens.headers("worker", subject=worker_id_of(resident_id()))
    for headers in (tokens.headers("platform", platform_id="p1"), worker, tokens.headers("mediator", subject="med_1")):
        assert (await gw.get("/v1/disputes/overview", headers=headers)).status_code == 403
        assert (await gw.get("/v1/disputes/escalations", headers=headers)).status_code == 403
    assert (
        await gw.get("/v1/disputes/overview", headers=tokens.headers("department", department="hrss"))
    ).status_code == 200
