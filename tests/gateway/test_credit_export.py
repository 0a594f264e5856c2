"""Credit sharing (M19): the signed daily export of the gateway's credit records, replayable for any range."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from newform_common.auth import generate_keypair
from newform_common.db import Database
from newform_common.policy import BUSINESS_TZ, business_today
from newform_common.testing import app_client, credit_code, eventually, unique_name
from newform_contracts.events import ContractsFindingRaised
from newform_gateway.credit import export as credit_export
from newform_gateway.main import create_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics

TODAY = business_today()


@pytest.fixture(scope="module")
async def gw(new_database, kafka, tokens):
    prefix = unique_name("gwc").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    url = await migrated_database(new_database)
    private_pem, public_pem = generate_keypair()
    settings = gateway_settings(
        prefix, url, kafka.bootstrap_servers, tokens.public_pem, credit_export_signing_key=private_pem
    )
    app = create_app(settings)
    async with app_client(app) as client:
        client.url, client.pub, client.public_pem = url, EventFeed(kafka.bootstrap_servers, prefix), public_pem
        client.settings = settings
        yield client


async def confirmed_record(
    gw, tokens, *, measure: str, rule: str, platform_id: str, code: str, by: dict, outcome: str = "confirmed"
) -> dict:
    await gw.pub.enterprise(platform_id, credit_code=code, name=f"{platform_id}科技有限公司")
    subject = f"c_{uuid.uuid4().hex[:8]}"
    await gw.pub.finding(measure=measure, rule=rule, subject_id=subject, platform_id=platform_id)

    async def alert():
        items = (await gw.get("/v1/alerts", headers=tokens.headers("regulator"), params={"limit": 500})).json()
        found = [a for a in items["items"] if a["subject_id"] == subject]
        return found[0] if found else None

    found = await eventually(alert)
    done = await gw.post(f"/v1/alerts/{found['alert_id']}/resolve", headers=by, json={"outcome": outcome})
    assert done.status_code == 200, done.text
    records = (
        await gw.get("/v1/credit-records", headers=tokens.headers("regulator"), params={"platform_id": platform_id})
    ).json()["items"]
    assert len(records) == 1
    return records[0]


async def test_an_export_for_a_date_range_matches_the_records_and_its_signatures_verify(gw, tokens, tmp_path):
    # M3's lead department (hrss) decides; a penalty (查处) of a credit rule makes a record (the public
    # administrative-penalty information of the enterprise), a mere confirmation does not.
    hrss, regulator = tokens.headers("department", department="hrss"), tokens.headers("regulator")
    arrears_code, deposit_code = credit_code(), credit_code()  # (a licence case and a partner case)
    arrears = await confirmed_record(
        gw,
        tokens,
        measure="M3",
        rule="M3.dispatch_licence_invalid",
        platform_id=unique_name("pa"),
        code=arrears_code,
        by=hrss,
        outcome="penalized",
    )
    deposit = await confirmed_record(
        gw,
        tokens,
        measure="M3",
        rule="M3.unqualified_partner",
        platform_id=unique_name("pd"),
        code=deposit_code,
        by=hrss,
        outcome="penalized",
    )

    # The second listing ends early: its issuer (hrss) or the regulator may end it, no other department.
    end = {"kind": "repair", "ended_on": TODAY.isoformat(), "reason": "合作企业已取得资质，完成信用修复"}
    refused = await gw.post(
        f"/v1/credit-records/{deposit['record_id']}/end",
        headers=tokens.headers("department", department="market"),
        json=end,
    )
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    ended = await gw.post(f"/v1/credit-records/{deposit['record_id']}/end", headers=hrss, json=end)
    assert ended.status_code == 201, ended.text
    assert (
        await gw.post(f"/v1/credit-records/{deposit['record_id']}/end", headers=regulator, json=end)
    ).status_code == 409

    params = {"from": (TODAY - timedelta(days=1)).isoformat(), "to": TODAY.isoformat()}
    assert (await gw.get("/v1/credit-exports", headers=hrss, params=params)).status_code == 403
    r = await gw.get("/v1/credit-exports", headers=regulator, params=params)
    assert r.status_code == 200, r.text
    export = r.json()
    assert [f["name"] for f in export["files"]] == [
        f"credit-{TODAY - timedelta(days=1)}.jsonl",
        f"credit-{TODAY}.jsonl",
    ]
    assert export["files"][0]["records"] == 0  # a day without records still has its (empty) file
    lines = [json.loads(x) for x in export["files"][1]["content"].splitlines()]
    listings = {x["listing_record_id"]: x for x in lines if x["record_type"] == "record"}
    assert set(listings) == {arrears["record_id"], deposit["record_id"]}
    licence = listings[arrears["record_id"]]
    decided = datetime.fromisoformat(arrears["confirmed_at"]).astimezone(BUSINESS_TZ).date()
    assert (
        licence["subject_credit_code"],
        licence["measure"],
        licence["basis"]["measure"],
        licence["basis"]["rule"],
        licence["issuing_department"],
    ) == (arrears_code, "penalized", "M3", "M3.dispatch_licence_invalid", "hrss")
    assert licence["entry_type"] == "record" and "企业信息公示暂行条例" in licence["basis"]["sources"][0]
    assert licence["decision_date"] == licence["valid_from"] == decided.isoformat()
    assert licence["valid_until"] is None  # no fixed term: listed until repaired or removed
    partner = listings[deposit["record_id"]]
    assert (partner["subject_credit_code"], partner["measure"], partner["issuing_department"]) == (
        deposit_code,
        "penalized",
        "hrss",
    )
    [repair] = [x for x in lines if x["record_type"] == "repair"]
    assert repair["listing_record_id"] == deposit["record_id"] and repair["subject_credit_code"] == deposit_code

    # Every signature verifies with the key the manifest names; a changed byte does not.
    public = serialization.load_pem_public_key(gw.public_pem.encode())
    assert export["manifest"]["signing_key"]["public_key_pem"] == gw.public_pem
    public.verify(base64.b64decode(export["manifest_signature"]), export["manifest_json"].encode())
    for f in export["files"]:
        public.verify(base64.b64decode(f["signature"]), f["content"].encode())

    # The same range written to a folder (what `newform gateway credit-export` does) verifies, and replays
    # byte for byte.
    db = Database(gw.url, service="gateway")
    key = gw.settings.credit_export_private_key()
    try:
        async with db.transaction() as session:
            again = await credit_export.build_export(session, TODAY - timedelta(days=1), TODAY, key)
        # The daily batch (GATEWAY_CREDIT_EXPORT_DIR): each complete day once, in a folder of its own.
        daily = tmp_path / "daily"
        tomorrow = TODAY + timedelta(days=1)
        assert await credit_export.export_missing_days(db, key, daily, today=tomorrow, days_back=2) == [
            TODAY - timedelta(days=1),
            TODAY,
        ]
        assert await credit_export.export_missing_days(db, key, daily, today=tomorrow, days_back=2) == []
        assert credit_export.verify_export(daily / TODAY.isoformat(), public) == []
        assert (daily / TODAY.isoformat() / f"credit-{TODAY}.jsonl").read_text() == export["files"][1]["content"]
    finally:
        await db.dispose()
    credit_export.write_export(again, tmp_path)
    assert credit_export.verify_export(tmp_path, public) == []
    assert (tmp_path / f"credit-{TODAY}.jsonl").read_text() == export["files"][1]["content"]
    tampered = tmp_path / f"credit-{TODAY}.jsonl"
    tampered.write_text(tampered.read_text().replace(deposit_code, arrears_code))
    assert len(credit_export.verify_export(tmp_path, public)) == 2  # hash and signature


async def test_a_range_ending_before_it_starts_is_a_problem(gw, tokens):
    r = await gw.get(
        "/v1/credit-exports", headers=tokens.headers("regulator"), params={"from": "2026-05-02", "to": "2026-05-01"}
    )
    assert r.status_code == 422 and r.json()["type"].endswith("invalid-date-range")


def test_a_listing_is_removed_the_day_after_its_term_unless_it_ended_before():
    listing = credit_export.Listing(
        "cl_1",
        "M19",
        "M19.wage_arrears_list",
        "拖欠工资",
        "91630100MA7XXXXXX1",
        "x",
        date(2026, 1, 10),
        date(2029, 1, 9),
        "hrss",
        decision="listed",
        entry_type="listing",
    )
    days = credit_export.day_lines([listing], {}, date(2029, 1, 9), date(2029, 1, 11))
    assert [(d.isoformat(), [x["record_type"] for x in lines]) for d, lines in days.items()] == [
        ("2029-01-09", []),
        ("2029-01-10", ["removal"]),
        ("2029-01-11", []),
    ]
    repaired = credit_export.CreditListingEnd(
        record_id="cl_1",
        kind="repair",
        ended_on=date(2027, 3, 1),
        reason="r",
        actor="a",
        event_id="e",
        at=datetime.now(BUSINESS_TZ),
    )
    days = credit_export.day_lines([listing], {"cl_1": repaired}, date(2026, 1, 10), date(2029, 12, 31))
    kinds = [(d.isoformat(), x["record_type"]) for d, lines in days.items() for x in lines]
    assert kinds == [("2026-01-10", "listing"), ("2027-03-01", "repair")]


async def test_a_record_whose_enterprise_is_unknown_is_held_never_exported_under_the_platform(gw, tokens):
    """The record's subject is its own enterprise; while the gateway does not know it, the record is held
    (no line in any export) — never the platform's credit code in its place — and it is exported on the
    day the enterprise becomes known."""
    hrss, regulator = tokens.headers("department", department="hrss"), tokens.headers("regulator")
    platform, agency, code = unique_name("ph"), unique_name("ag"), credit_code()
    await gw.pub.enterprise(platform, credit_code=credit_code(), name="某平台科技有限公司")
    subject = f"c_{uuid.uuid4().hex[:8]}"
    data = {
        "finding_id": f"f_{uuid.uuid4().hex[:12]}",
        "measure": "M3",
        "rule": "M3.dispatch_licence_invalid",
        "severity": "high",
        "summary": "派遣单位许可证失效",
        "subject_type": "contract",
        "subject_id": subject,
        "platform_id": platform,
        "enterprise_id": agency,  # the agency, which contracts has not announced yet
        "worker_id": None,
        "occupation": "courier",
        "district": "chengxi",
        "evidence": {},
        "observed_at": datetime.now(BUSINESS_TZ).isoformat(),
    }
    await gw.pub.send(ContractsFindingRaised.model_validate(data))

    async def alert():
        items = (await gw.get("/v1/alerts", headers=regulator, params={"limit": 500})).json()["items"]
        return [a for a in items if a["subject_id"] == subject and a["enterprise_id"] == agency] or None

    [found] = await eventually(alert)
    assert (
        await gw.post(f"/v1/alerts/{found['alert_id']}/resolve", headers=hrss, json={"outcome": "penalized"})
    ).status_code == 200
    [record] = [
        r
        for r in (await gw.get("/v1/credit-records", headers=regulator, params={"platform_id": platform})).json()[
            "items"
        ]
    ]
    assert record["held"] and record["subject_credit_code"] is None

    async def exported() -> list[dict]:
        r = await gw.get(
            "/v1/credit-exports", headers=regulator, params={"from": TODAY.isoformat(), "to": TODAY.isoformat()}
        )
        return [json.loads(x) for x in r.json()["files"][0]["content"].splitlines()]

    assert not [x for x in await exported() if x["listing_record_id"] == record["record_id"]]
    await gw.pub.enterprise(
        agency, kind="dispatch_agency", platform_id=platform, credit_code=code, name="某劳务派遣有限公司"
    )

    async def released():
        lines = [x for x in await exported() if x["listing_record_id"] == record["record_id"]]
        return lines or None

    [line] = await eventually(released)
    assert line["subject_credit_code"] == code and line["subject_name"] == "某劳务派遣有限公司"


async def test_one_debt_makes_one_record_whichever_clock_noticed_it(gw, tokens):
    """W-2 on the credit side: the statement's clock and the period's clock both raising arrears for the same
    unpaid month (two alerts, both confirmed) make one record of the related unit, both alerts in its chain."""
    hrss, regulator = tokens.headers("department", department="hrss"), tokens.headers("regulator")
    platform, code, contract = unique_name("pw"), credit_code(), f"ct_{uuid.uuid4().hex[:8]}"
    unit = {
        "related_unit_id": "ent_unit",
        "credit_code": code,
        "unit_name": "某外包公司",
        "contract_id": contract,
        "period_start": "2025-05-01",
        "period_end": "2025-05-31",
    }
    subjects = [f"st_{uuid.uuid4().hex[:8]}", f"{contract}:2025-05-01"]
    for subject, extra in zip(subjects, ({"arrears_fen": 348000}, {"reason": "no_paid_statement"}), strict=True):
        await gw.pub.finding(
            measure="M6",
            rule="M6.wage_arrears",
            subject_id=subject,
            platform_id=platform,
            subject_type="statement",
            evidence={**unit, **extra},
            summary="拖欠工资",
        )

    async def alerts():
        items = (await gw.get("/v1/alerts", headers=regulator, params={"limit": 500})).json()["items"]
        found = [a for a in items if a["subject_id"] in subjects]
        return found if len(found) == 2 else None

    for alert in await eventually(alerts):
        assert (
            await gw.post(f"/v1/alerts/{alert['alert_id']}/resolve", headers=hrss, json={"outcome": "confirmed"})
        ).status_code == 200
    records = (await gw.get("/v1/credit-records", headers=regulator, params={"platform_id": platform})).json()["items"]
    assert len(records) == 1 and records[0]["subject_credit_code"] == code
    confirmations = [c for c in records[0]["evidence_chain"] if c["role"] == "confirmation"]
    assert len(confirmations) == 2
