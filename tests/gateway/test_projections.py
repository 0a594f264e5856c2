"""The gateway through real Kafka and PostgreSQL: catalogue events in, read models, alerts routed to
the responsible departments, department isolation, the alert lifecycle, credit records, rebuild."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from newform_common.events import Envelope
from newform_common.testing import app_client, eventually, read_topic, unique_name
from newform_contracts.events import ContractDiscarded, ContractsFindingRaised
from newform_gateway.main import create_app
from newform_gateway.rebuild import TargetNotEmpty, compare, rebuild, rebuild_from_log
from newform_wages.events import SessionLine, SessionsAccepted, StatementLine, StatementsAccepted, StatementsJudged

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics, scalar

# M1's responsible units in the catalogue, with `county` resolved to the district's government;
# food delivery's sector regulator (market) is among them already.
M1_FOOD_DELIVERY_CHENGXI = {"hrss", "court", "union", "transport", "market", "postal", "culture", "county:chengxi"}
# M6 (pay) units; a courier adds the postal regulator (already listed); datong's government.
M6_COURIER_DATONG = {"hrss", "drc", "court", "union", "transport", "market", "postal", "culture", "county:datong"}


@pytest.fixture(scope="module")
async def gw(new_database, kafka, tokens):
    prefix = unique_name("gwt").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    app = create_app(settings)
    async with app_client(app) as client:
        client.settings = settings
        client.url = url
        client.pub = EventFeed(kafka.bootstrap_servers, prefix)
        client.prefix = prefix
        yield client


def regulator(tokens):
    return tokens.headers("regulator")


def dept(tokens, code, district=None):
    return tokens.headers("department", department=code, **({"district": district} if district else {}))


async def alert_for(client, tokens, subject_id):
    async def check():
        r = await client.get("/v1/alerts", headers=regulator(tokens), params={"limit": 500})
        found = [a for a in r.json()["items"] if a["subject_id"] == subject_id]
        return found[0] if found else None

    return await eventually(check)


async def logged(client, event_id) -> int:
    return await scalar(client.url, "select count(*) from event_log where event_id = :e", e=event_id)


async def test_catalogue_events_fill_the_read_models(gw, tokens):
    pub, platform = gw.pub, f"p_{uuid.uuid4().hex[:6]}"
    await pub.enterprise(platform, name="测试外卖平台", occupations=["food_delivery", "courier"])
    await pub.enterprise(f"{platform}_agency", kind="dispatch_agency", platform_id=platform)
    for i in range(4):
        await pub.worker(
            f"w_{platform}_{i}",
            platform,
            occupation="food_delivery" if i < 3 else "courier",
            district="chengxi" if i < 2 else "datong",
        )
    await pub.contract(f"c_{platform}_0", f"w_{platform}_0", platform)
    await pub.contract_signed(f"c_{platform}_0", f"w_{platform}_0", platform)
    await pub.contract(f"c_{platform}_1", f"w_{platform}_1", platform, engagement_type="civil", work_injury=False)
    await pub.contract(f"c_{platform}_2", f"w_{platform}_2", platform)
    await pub.send(
        ContractDiscarded(
            contract_id=f"c_{platform}_2",
            worker_id=f"w_{platform}_2",
            platform_id=platform,
            enterprise_id=platform,
            engagement_type="labor_contract",
            at=datetime.now(UTC),
            withdrawn_findings=0,
        )
    )
    unknown = await pub.untyped(
        "contracts.something.new.v1", {"worker_id": f"w_{platform}_0", "platform_id": platform}, key=f"w_{platform}_0"
    )

    async def detail():
        r = await gw.get(f"/v1/platforms/{platform}", headers=regulator(tokens))
        body = r.json() if r.status_code == 200 else {}
        done = (
            body.get("contracts_by_status") == {"signed": 1, "draft": 1, "discarded": 1}
            and body.get("active_registrations") == 4
            and len(body.get("cooperating_enterprises", [])) == 1
        )
        return body if done else None

    body = await eventually(detail)
    assert body["name"] == "测试外卖平台"
    assert body["active_registrations"] == 4
    assert body["registrations_by_occupation"] == {"food_delivery": 3, "courier": 1}
    assert body["registrations_by_district"] == {"chengxi": 2, "datong": 2}
    assert body["contracts_by_engagement_type"] == {"labor_contract": 2, "civil": 1}
    # The contracts service's own words for a contract's status (one vocabulary).
    assert body["contracts_by_status"] == {"signed": 1, "draft": 1, "discarded": 1}
    assert body["contract_coverage"] == 0.25  # one signed contract for four active registrations
    assert body["insurance_coverage"] == 1.0
    assert [e["enterprise_id"] for e in body["cooperating_enterprises"]] == [f"{platform}_agency"]
    card = {p["principle"]: p for p in body["scorecard"]["principles"]}
    assert card["pay"]["status"] == "no_data" and card["pay"]["score"] is None  # no wages service yet
    assert card["contracts"]["status"] == "scored" and card["contracts"]["score"] == 0  # 25% < 50%

    await eventually(lambda: logged(gw, unknown.id))  # unknown types are kept in the audit trail
    timeline = await gw.get(f"/v1/workers/w_{platform}_0/timeline", headers=regulator(tokens))
    assert [e["type"] for e in timeline.json()["events"]] == [
        "contracts.worker.registered.v1",
        "contracts.contract.drafted.v1",
        "contracts.contract.signed.v1",
        "contracts.something.new.v1",
    ]

    overview = (await gw.get("/v1/overview", headers=regulator(tokens))).json()
    assert overview["registrations"]["by_occupation"]["courier"] >= 1
    assert overview["contracts"]["by_engagement_type"]["civil"] >= 1
    assert len(overview["trends"]) == 30 and sum(d["registrations"] for d in overview["trends"]) >= 4


async def test_a_finding_becomes_an_alert_routed_to_exactly_the_measure_units_sector_and_district(gw, tokens):
    contract_id = f"c_{uuid.uuid4().hex[:8]}"
    await gw.pub.finding(
        measure="M1",
        rule="M1.misclassification",
        subject_id=contract_id,
        platform_id="p_route",
        worker_id="w_route",
        occupation="food_delivery",
        district="chengxi",
    )
    alert = await alert_for(gw, tokens, contract_id)
    assert set(alert["departments"]) == M1_FOOD_DELIVERY_CHENGXI
    assert alert["status"] == "open" and alert["occurrences"] == 1 and alert["overdue"] is False
    # Handling deadline for M1 from the policy: 15 days.
    assert datetime.fromisoformat(alert["due_at"]) - datetime.fromisoformat(alert["raised_at"]) == timedelta(days=15)

    await gw.pub.finding(
        measure="M6",
        rule="M6.wage_arrears",
        subject_id=f"w_{contract_id}",
        subject_type="worker",
        occupation="courier",
        district="datong",
    )
    pay = await alert_for(gw, tokens, f"w_{contract_id}")
    assert set(pay["departments"]) == M6_COURIER_DATONG


async def enterprise_projected(client, tokens, enterprise_id: str, platform_id: str) -> None:
    async def known():
        r = await client.get("/v1/enterprises", headers=regulator(tokens), params={"platform_id": platform_id})
        return enterprise_id in {e["enterprise_id"] for e in r.json()["items"]}

    await eventually(known)


async def test_a_platform_level_finding_goes_to_the_platforms_district_and_its_sector_regulators(gw, tokens):
    platform = f"p_{uuid.uuid4().hex[:6]}"
    await gw.pub.enterprise(platform, district="huangzhong", occupations=["courier", "internet_marketer"])
    await enterprise_projected(gw, tokens, platform, platform)
    notice = f"rn_{uuid.uuid4().hex[:8]}"
    await gw.pub.finding(
        measure="M10",
        rule="M10.no_consultation",
        subject_id=notice,
        subject_type="rule_notice",
        platform_id=platform,
        occupation=None,
        district=None,
        summary="规则未经协商",
    )
    alert = await alert_for(gw, tokens, notice)
    # M10's units with huangzhong's government (where the platform is registered), never a bare `county`.
    assert alert["departments"] == ["union", "hrss", "transport", "market", "postal", "culture", "county:huangzhong"]
    assert alert["district"] == "huangzhong"
    listed = (await gw.get("/v1/alerts", headers=dept(tokens, "county", "huangzhong"), params={"limit": 500})).json()[
        "items"
    ]
    assert alert["alert_id"] in {a["alert_id"] for a in listed}

    # Measures whose units lack the platform's sector regulators get them from its declared occupations.
    m12 = f"rn_{uuid.uuid4().hex[:8]}"
    await gw.pub.finding(
        measure="M12",
        rule="M12.some_rule",
        subject_id=m12,
        subject_type="rule_notice",
        platform_id=platform,
        occupation=None,
        district=None,
    )
    assert (await alert_for(gw, tokens, m12))["departments"] == [
        "hrss",
        "tax",
        "county:huangzhong",
        "postal",
        "culture",
        "market",
    ]


async def test_an_m3_finding_goes_to_the_cooperating_enterprises_district_not_the_workers_home(gw, tokens):
    platform = f"p_{uuid.uuid4().hex[:6]}"
    agency = f"{platform}_agency"
    await gw.pub.enterprise(agency, kind="dispatch_agency", platform_id=platform, district="chengbei")
    await enterprise_projected(gw, tokens, agency, platform)
    contract = f"c_{uuid.uuid4().hex[:8]}"
    await gw.pub.send(
        ContractsFindingRaised.model_validate(
            {
                "finding_id": f"f_{contract}",
                "measure": "M3",
                "rule": "M3.dispatch_licence_invalid",
                "severity": "high",
                "summary": "劳务派遣单位无有效许可证",
                "subject_type": "contract",
                "subject_id": contract,
                "platform_id": platform,
                "enterprise_id": agency,
                "worker_id": "w_lives_in_datong",
                "occupation": "courier",
                "district": "datong",
                "evidence": {},
                "observed_at": datetime.now(UTC).isoformat(),
            }
        )
    )
    alert = await alert_for(gw, tokens, contract)
    assert "county:chengbei" in alert["departments"] and "county:datong" not in alert["departments"]
    assert alert["district"] == "chengbei"


async def test_same_rule_and_subject_while_open_adds_to_the_alert_and_redelivery_changes_nothing(gw, tokens):
    subject = f"c_{uuid.uuid4().hex[:8]}"
    first = await gw.pub.finding(measure="M3", rule="M3.dispatch_licence_valid", subject_id=subject, severity="low")
    alert = await alert_for(gw, tokens, subject)
    second = await gw.pub.finding(
        measure="M3",
        rule="M3.dispatch_licence_valid",
        subject_id=subject,
        severity="high",
        evidence={"licence": "expired"},
    )

    async def two():
        r = await gw.get(f"/v1/alerts/{alert['alert_id']}", headers=regulator(tokens))
        return r.json() if r.json()["occurrences"] == 2 else None

    merged = await eventually(two)
    assert merged["severity"] == "high"
    assert [e["event_id"] for e in merged["evidence"]] == [first.id, second.id]

    # The same events again (a redelivery): nothing changes, not even the event log.
    await gw.pub.redeliver(first)
    await gw.pub.redeliver(second)
    marker = await gw.pub.finding(measure="M3", rule="M3.other_rule", subject_id=subject)  # published after them
    await alert_for(gw, tokens, subject)
    await eventually(lambda: logged(gw, marker.id))
    again = (await gw.get(f"/v1/alerts/{alert['alert_id']}", headers=regulator(tokens))).json()
    assert again["occurrences"] == 2 and len(again["evidence"]) == 2
    assert await logged(gw, first.id) == 1 and await logged(gw, second.id) == 1
    total = await scalar(gw.url, "select count(*) from alerts where subject_id = :s", s=subject)
    assert total == 2  # the dispatch-licence alert and the marker's own rule


async def test_a_department_sees_and_acts_on_only_alerts_routed_to_it(gw, tokens):
    subject = f"c_{uuid.uuid4().hex[:8]}"
    await gw.pub.finding(measure="M1", rule="M1.misclassification", subject_id=subject, district="chengxi")
    alert = await alert_for(gw, tokens, subject)
    path = f"/v1/alerts/{alert['alert_id']}"

    for headers in (dept(tokens, "hrss"), dept(tokens, "county", "chengxi")):
        assert (await gw.get(path, headers=headers)).status_code == 200
        listed = (await gw.get("/v1/alerts", headers=headers, params={"limit": 500})).json()["items"]
        assert alert["alert_id"] in {a["alert_id"] for a in listed}

    # Police are not among M1's units; chengdong's government is not chengxi's.
    for headers in (dept(tokens, "police"), dept(tokens, "county", "chengdong")):
        assert (await gw.get(path, headers=headers)).status_code == 404
        listed = (await gw.get("/v1/alerts", headers=headers, params={"limit": 500})).json()["items"]
        assert alert["alert_id"] not in {a["alert_id"] for a in listed}
        act = await gw.post(f"{path}/acknowledge", headers=headers, json={"note": "不是我们的"})
        assert act.status_code == 404
        assert act.headers["content-type"] == "application/problem+json"
        assert (await gw.post(f"{path}/resolve", headers=headers, json={"outcome": "dismissed"})).status_code == 404
    assert (await gw.get(path, headers=regulator(tokens))).json()["status"] == "open"


async def test_a_district_government_token_without_its_district_is_refused_everywhere(gw, tokens):
    headers = dept(tokens, "county")
    for method, path, body in [
        ("GET", "/v1/overview", None),
        ("GET", "/v1/alerts", None),
        ("GET", "/v1/alerts/alr_x", None),
        ("POST", "/v1/alerts/alr_x/acknowledge", {}),
        ("POST", "/v1/alerts/alr_x/comments", {"note": "x"}),
        ("POST", "/v1/alerts/alr_x/resolve", {"outcome": "confirmed"}),
        ("GET", "/v1/platforms", None),
        ("GET", "/v1/platforms/p_any", None),
        ("GET", "/v1/platforms/p_any/scorecard", None),
        ("GET", "/v1/enterprises", None),
        ("GET", "/v1/credit-records", None),
        ("GET", "/v1/webhooks", None),
        ("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/x"}),
    ]:
        response = await gw.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "district" in response.json()["detail"]


@pytest.mark.parametrize("role", ["platform", "enterprise", "worker_channel", "mediator", "training_body"])
async def test_a_platform_token_and_other_roles_get_403_everywhere_else(gw, tokens, role):
    headers = tokens.headers(role, platform_id="p_any")
    # A platform may manage its own webhooks (alerts about it: test_webhooks.py), nothing else.
    webhooks = (
        []
        if role == "platform"
        else [("GET", "/v1/webhooks", None), ("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/x"})]
    )
    for method, path, body in webhooks + [
        ("GET", "/v1/overview", None),
        ("GET", "/v1/alerts", None),
        ("GET", "/v1/alerts/alr_x", None),
        ("POST", "/v1/alerts/alr_x/acknowledge", {}),
        ("POST", "/v1/alerts/alr_x/resolve", {"outcome": "confirmed"}),
        ("POST", "/v1/alerts/alr_x/comments", {"note": "x"}),
        ("GET", "/v1/platforms", None),
        ("GET", "/v1/platforms/p_any", None),
        ("GET", "/v1/platforms/p_any/scorecard", None),
        ("GET", "/v1/enterprises", None),
        ("GET", "/v1/workers/w_x/timeline", None),
        ("GET", "/v1/credit-records", None),
    ]:
        response = await gw.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await gw.get("/v1/alerts")).status_code == 401


async def test_routed_departments_acknowledge_and_comment_the_lead_decides_and_its_penalty_is_credit(gw, tokens):
    worker = f"w_{uuid.uuid4().hex[:8]}"
    drafted = await gw.pub.contract(f"c_{worker}", worker, "p_credit", occupation="courier", district="datong")
    finding = await gw.pub.finding(
        measure="M3",
        rule="M3.dispatch_licence_invalid",
        subject_id=f"c_{worker}",
        platform_id="p_credit",
        worker_id=worker,
        occupation="courier",
        district="datong",
        summary="劳务派遣单位无有效许可证",
    )
    alert = await alert_for(gw, tokens, f"c_{worker}")
    assert alert["lead_department"] == "hrss"  # M3's first unit: 市人力资源社会保障局
    path = f"/v1/alerts/{alert['alert_id']}"
    hrss, datong = dept(tokens, "hrss"), dept(tokens, "county", "datong")

    ack = await gw.post(f"{path}/acknowledge", headers=hrss, json={"note": "已受理"})
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    assert (await gw.post(f"{path}/acknowledge", headers=hrss, json={})).status_code == 409
    assert (await gw.post(f"{path}/acknowledge", headers=datong, json={"note": "区政府已知悉"})).status_code == 200
    comment = await gw.post(f"{path}/comments", headers=datong, json={"note": "该派遣单位在本县有网点"})
    assert comment.status_code == 200 and comment.json()["status"] == "acknowledged"
    # A district government (or any other routed department, or the regulator) does not decide.
    for headers in (datong, dept(tokens, "market"), regulator(tokens)):
        refused = await gw.post(f"{path}/resolve", headers=headers, json={"outcome": "confirmed"})
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
        assert "hrss" in refused.json()["detail"]
    bad = await gw.post(f"{path}/resolve", headers=hrss, json={"outcome": "maybe"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    done = await gw.post(f"{path}/resolve", headers=hrss, json={"outcome": "penalized", "note": "已立案查处"})
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "resolved" and body["resolution"] == "penalized"
    steps = [
        (t["action"], t["from_status"], t["to_status"], t["actor_department"], t["note"]) for t in body["transitions"]
    ]
    assert steps == [
        ("acknowledged", "open", "acknowledged", "hrss", "已受理"),
        ("acknowledged", "acknowledged", "acknowledged", "county:datong", "区政府已知悉"),
        ("commented", "acknowledged", "acknowledged", "county:datong", "该派遣单位在本县有网点"),
        ("resolved", "acknowledged", "resolved", "hrss", "已立案查处"),
    ]
    assert (await gw.post(f"{path}/comments", headers=datong, json={"note": "已办结后补充"})).status_code == 200

    records = (
        await gw.get("/v1/credit-records", headers=dept(tokens, "drc"), params={"platform_id": "p_credit"})
    ).json()["items"]
    assert len(records) == 1
    chain = records[0]["evidence_chain"]
    assert [(c["role"], c["event_id"]) for c in chain[:2]] == [("source", drafted.id), ("finding", finding.id)]
    assert chain[-1]["role"] == "confirmation"

    # Resolved: the same rule firing again for the subject opens a new alert.
    await gw.pub.finding(measure="M3", rule="M3.dispatch_licence_invalid", subject_id=f"c_{worker}", district="datong")

    async def reopened():
        n = await scalar(gw.url, "select count(*) from alerts where subject_id = :s", s=f"c_{worker}")
        return n == 2

    await eventually(reopened)

    # A dismissed finding, a warning (警示: no penalty, nothing public), or a rule not configured for credit
    # records, makes none.
    for rule, outcome in (
        ("M3.unqualified_partner", "dismissed"),
        ("M3.unqualified_partner", "warned"),
        ("M1.misclassification", "penalized"),
    ):
        other = f"c_{uuid.uuid4().hex[:8]}"
        await gw.pub.finding(measure=rule[:2], rule=rule, subject_id=other, platform_id="p_credit")
        a2 = await alert_for(gw, tokens, other)
        decided = await gw.post(f"/v1/alerts/{a2['alert_id']}/resolve", headers=hrss, json={"outcome": outcome})
        assert decided.status_code == 200
    records = (
        await gw.get("/v1/credit-records", headers=regulator(tokens), params={"platform_id": "p_credit"})
    ).json()["items"]
    assert len(records) == 1


async def test_an_alert_past_its_measures_deadline_is_overdue(gw, tokens):
    subject = f"w_{uuid.uuid4().hex[:8]}"
    data = {
        "finding_id": f"f_{subject}",
        "measure": "M6",
        "rule": "M6.wage_arrears",
        "severity": "high",
        "summary": "拖欠工资",
        "subject_type": "worker",
        "subject_id": subject,
        "platform_id": None,
        "enterprise_id": None,
        "worker_id": subject,
        "occupation": "courier",
        "district": "chengbei",
        "evidence": {},
        "observed_at": (datetime.now(UTC) - timedelta(days=6)).isoformat(),
    }
    old = Envelope(
        id=str(uuid.uuid4()),
        source="/newform/contracts",
        type="contracts.finding.raised.v1",
        time=datetime.now(UTC) - timedelta(days=6),
        key=subject,
        data=data,
    )
    await gw.pub.redeliver(old)
    alert = await alert_for(gw, tokens, subject)
    assert alert["overdue"] is True  # M6: 5 days to handle
    overdue = (await gw.get("/v1/alerts", headers=regulator(tokens), params={"overdue": "true", "limit": 500})).json()
    assert alert["alert_id"] in {a["alert_id"] for a in overdue["items"]}
    assert (await gw.get("/v1/overview", headers=regulator(tokens))).json()["alerts"]["overdue"] >= 1


async def test_a_new_services_topic_is_picked_up_and_its_findings_become_alerts(gw, tokens, kafka):
    wages = EventFeed(kafka.bootstrap_servers, gw.prefix, source="wages")
    subject = f"w_{uuid.uuid4().hex[:8]}"
    await wages.finding(
        measure="M6",
        rule="M6.below_minimum_wage",
        subject_id=subject,
        subject_type="worker",
        occupation="courier",
        district="datong",
    )
    alert = await alert_for(gw, tokens, subject)
    assert alert["source_service"] == "wages"
    assert set(alert["departments"]) == M6_COURIER_DATONG


async def test_rebuild_from_the_topics_equals_the_live_read_models(gw, tokens, new_database):
    # Everything the tests above published and did (acknowledge, resolve) must be projected first.
    marker = await gw.pub.finding(measure="M5", rule="M5.no_deposit", subject_id=f"e_{uuid.uuid4().hex[:6]}")
    await eventually(lambda: logged(gw, marker.id))

    async def actions_logged():
        return await scalar(gw.url, "select count(*) from event_log where type like 'gateway.alert.%'") == await scalar(
            gw.url, "select count(*) from alert_transitions"
        )

    await eventually(actions_logged)
    assert await scalar(gw.url, "select count(*) from alert_transitions") >= 3

    target = new_database("gwrebuild")
    result = await rebuild(gw.settings, into=target)
    assert result["failed"] == 0
    assert result["events"] == await scalar(gw.url, "select count(*) from event_log")
    assert await compare(gw.url, target) == {}  # read_counters too: counted once at the end, as live
    assert await scalar(target, "select count(*) from read_counters where n <> 0") > 0

    # A database holding events is never replayed into (it would count them twice): refused, left as it was.
    with pytest.raises(TargetNotEmpty):
        await rebuild(gw.settings, into=target)
    assert await compare(gw.url, target) == {}


def _line(statement_id: str, status: str = "judged", gross: int = 300_000, **kw) -> StatementLine:
    return StatementLine(
        line_id=f"l_{statement_id}_{gross}",
        statement_id=statement_id,
        worker_id="w_log",
        contract_id="ct_log",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        due_date=date(2026, 12, 10),
        gross_fen=gross,
        net_due_fen=gross,
        paid_fen=gross,
        paid_on=date(2026, 12, 8),
        worked_minutes=10_080,
        status=status,
        **kw,
    )


def _session(session_id: str, minutes: int) -> SessionLine:
    return SessionLine(
        line_id=f"sl_{session_id}_{minutes}",
        session_id=session_id,
        worker_id="w_log",
        work_date=date(2026, 11, 3),
        working_minutes=minutes,
        orders_completed=minutes // 20,
        post="rider",
    )


async def test_rebuild_from_the_event_log_equals_the_live_read_models(gw, kafka, new_database, monkeypatch, capsys):
    """Wages lines, registrations and contracts folded in SQL over the log (a line repeated in one event and
    in a later one, judged after its acceptance, judged without one; a session repeated; a contract drafted
    again after its signature, one signed without a draft) and every other type through the Python
    projections: the same read models as the live gateway. A back-dated event got its month's partition."""
    import asyncio
    import json

    from newform_local.cli import main

    wages, p, run = EventFeed(kafka.bootstrap_servers, gw.prefix, source="wages"), "p_log", uuid.uuid4().hex[:6]
    st = [f"st_{run}_{i}" for i in range(4)]
    await wages.send(
        StatementsAccepted(
            batch_id=f"b1_{run}",
            platform_id=p,
            chunk=0,
            lines=[_line(st[0], "pending"), _line(st[1]), _line(st[0], "pending", gross=310_000)],
        ),
        StatementsAccepted(batch_id=f"b2_{run}", platform_id=p, chunk=0, lines=[_line(st[1], gross=320_000)]),
        StatementsJudged(platform_id=p, contract_id="ct_log", lines=[_line(st[0], district="chengxi", gross=310_000)]),
        StatementsJudged(platform_id=p, contract_id="ct_log", lines=[_line(st[2], occupation="courier")]),
        SessionsAccepted(
            batch_id=f"b3_{run}", platform_id=p, chunk=0, lines=[_session(f"s1_{run}", 600), _session(f"s2_{run}", 60)]
        ),
        SessionsAccepted(batch_id=f"b4_{run}", platform_id=p, chunk=0, lines=[_session(f"s1_{run}", 480)]),
    )
    # contracts: signed, then drafted again (back to a draft); signed without a draft; a worker registered twice
    await gw.pub.contract(f"c_log_{run}_0", "w_log", p)
    await gw.pub.contract_signed(f"c_log_{run}_0", "w_log", p)
    await gw.pub.contract(f"c_log_{run}_0", "w_log", p, district="datong")
    await gw.pub.contract_signed(f"c_log_{run}_1", "w_log", p)
    await gw.pub.worker("w_log", p, occupation="courier", district="chengbei", registration_id=f"r_log_{run}")
    await gw.pub.worker("w_log", p, district="datong", registration_id=f"r_log_{run}")
    (old,) = await wages.send(
        StatementsAccepted(batch_id=f"b0_{run}", platform_id=p, chunk=0, lines=[_line(st[3])]),
        time=datetime(2021, 5, 10, 8, tzinfo=UTC),
    )
    await eventually(lambda: logged(gw, old.id))
    assert await scalar(gw.url, "select tableoid::regclass::text from event_log where event_id = :e", e=old.id) == (
        "event_log_y2021m05"
    )
    assert await scalar(gw.url, "select status from wage_statements where statement_id = :s", s=st[0]) == "judged"

    target = new_database("gwfromlog")
    result = await rebuild_from_log(gw.url, into=target)
    assert result["events"] == await scalar(gw.url, "select count(*) from event_log")
    assert result["facts"] >= 5 and result["seconds"] > 0
    assert await compare(gw.url, target) == {}
    assert await scalar(target, "select count(*) from wage_statements where statement_id like :s", s=f"st_{run}%") == 4
    with pytest.raises(TargetNotEmpty):
        await rebuild_from_log(gw.url, into=target)

    monkeypatch.setenv("GATEWAY_DATABASE_URL", gw.url)
    monkeypatch.setenv("JWT_PUBLIC_KEY", gw.settings.jwt_public_key)
    cli_target = new_database("gwfromlogcli")
    code = await asyncio.to_thread(main, ["gateway", "rebuild", "--from-log", "--into", cli_target, "--compare"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["differences"] == {} and out["events"] == result["events"]


async def test_newform_gateway_rebuild_command_replays_and_reports_no_difference(
    gw, tokens, new_database, monkeypatch, capsys
):
    import asyncio
    import json

    from newform_local.cli import main

    target = new_database("gwrebuildcli")
    monkeypatch.setenv("GATEWAY_DATABASE_URL", gw.url)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", gw.settings.kafka_bootstrap_servers)
    monkeypatch.setenv("GATEWAY_TOPIC_PATTERN", gw.settings.topic_pattern)
    monkeypatch.setenv("JWT_PUBLIC_KEY", tokens.public_pem)
    code = await asyncio.to_thread(main, ["gateway", "rebuild", "--into", target, "--compare"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["differences"] == {} and out["database_url"] == target
    assert out["topics"] == sorted([gw.pub.topic, f"{gw.prefix}-gateway.events", f"{gw.prefix}-wages.events"])


async def test_rebuild_into_a_database_that_does_not_exist_creates_it_and_an_unusable_url_is_one_line(
    gw, tokens, postgres, monkeypatch, capsys
):
    import asyncio
    import json

    from newform_local.cli import main

    monkeypatch.setenv("GATEWAY_DATABASE_URL", gw.url)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", gw.settings.kafka_bootstrap_servers)
    monkeypatch.setenv("GATEWAY_TOPIC_PATTERN", gw.settings.topic_pattern)
    monkeypatch.setenv("JWT_PUBLIC_KEY", tokens.public_pem)
    missing = postgres.url(f"gwrebuild_new_{uuid.uuid4().hex[:8]}")
    code = await asyncio.to_thread(main, ["gateway", "rebuild", "--into", missing])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["database_url"] == missing and out["events"] > 0
    assert await scalar(missing, "select count(*) from event_log") == out["events"]

    code = await asyncio.to_thread(main, ["gateway", "rebuild", "--into", "postgresql+asyncpg://nobody@127.0.0.1:1/x"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("newform gateway rebuild: ") and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err

    # Kafka unreachable mid-way: one line, and the database this run created is not left half-built.
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    doomed = f"gwrebuild_doomed_{uuid.uuid4().hex[:8]}"
    code = await asyncio.to_thread(main, ["gateway", "rebuild", "--into", postgres.url(doomed)])
    captured = capsys.readouterr()
    assert code == 2 and captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert await scalar(postgres.url("postgres"), "select count(*) from pg_database where datname = :d", d=doomed) == 0


async def test_metrics_expose_projection_freshness_last_event_time_and_overdue(gw):
    async def overdue_reported():
        text = (await gw.get("/metrics")).text
        return text if 'newform_gateway_alerts_overdue{measure="M6"}' in text else None

    text = await eventually(overdue_reported)
    assert f'newform_event_projection_lag_seconds_count{{group="{gw.settings.consumer_group}"}}' in text
    assert f'newform_gateway_last_event_time_seconds{{topic="{gw.pub.topic}"}}' in text


async def test_openapi_has_stable_operation_ids_and_tags_and_hides_the_dashboard(gw):
    doc = (await gw.get("/openapi.json")).json()
    operations = {
        op["operationId"]: (path, method, op) for path, item in doc["paths"].items() for method, op in item.items()
    }
    assert {
        "get_overview",
        "list_alerts",
        "get_alert",
        "acknowledge_alert",
        "resolve_alert",
        "list_platforms",
        "get_platform",
        "get_scorecard",
        "list_enterprises",
        "get_worker_timeline",
        "list_credit_records",
        "register_webhook",
        "list_webhooks",
    } <= set(operations)
    for op_id, (path, _method, op) in operations.items():
        if path.startswith("/v1/"):
            assert op.get("tags"), op_id
    assert not any(p in doc["paths"] for p in ("/", "/alerts", "/signin", "/platforms"))


async def test_the_dashboard_answers_403_to_a_platform_token_and_sends_strangers_to_sign_in(gw, tokens):
    import httpx

    async with httpx.AsyncClient(transport=gw._transport, base_url="http://testserver") as browser:
        first = await browser.get("/alerts")
        assert first.status_code == 303 and first.headers["location"].startswith("/signin")
        bad = await browser.post("/signin", data={"token": "not-a-token", "next": "/"})
        assert bad.status_code == 401
        ok = await browser.post("/signin", data={"token": tokens.token("platform", platform_id="p_x"), "next": "/"})
        assert ok.status_code == 303
        assert "httponly" in ok.headers["set-cookie"].lower() and "samesite=strict" in ok.headers["set-cookie"].lower()
        assert (await browser.get("/")).status_code == 403
        assert (await browser.get("/alerts")).status_code == 403


async def test_after_the_measures_lapse_alerts_say_provisional_and_the_dashboard_and_readyz_say_so(
    gw, tokens, monkeypatch
):
    """宁政办〔2022〕41号 lapses after 2026-12-21 and no successor is loaded (here: "today" is 2027-01-15)."""
    import httpx

    from newform_common import policy as policy_module

    subject = f"c_{uuid.uuid4().hex[:8]}"
    await gw.pub.finding(
        measure="M9",
        rule="M9.platform_worker_protection",
        subject_id=subject,
        platform_id="p_lapse",
        evidence={"insurance": {}, "policy_basis": {"provisional": True, "measures_version": "xining-2022-41"}},
    )
    other = f"c_{uuid.uuid4().hex[:8]}"
    await gw.pub.finding(measure="M1", rule="M1.misclassification", subject_id=other, platform_id="p_lapse")
    assert (await alert_for(gw, tokens, subject))["provisional"] is True
    assert (await alert_for(gw, tokens, other))["provisional"] is False

    async with httpx.AsyncClient(transport=gw._transport, base_url="http://testserver") as browser:
        await browser.post("/signin", data={"token": tokens.token("regulator"), "next": "/"})
        monkeypatch.setattr(policy_module, "business_today", lambda: date(2026, 12, 21))  # the last day in force
        before = await browser.get("/")
        assert before.status_code == 200 and 'id="measures-lapsed"' not in before.text
        ready = (await gw.get("/readyz")).json()
        assert ready["measures"]["lapsed"] is False and " in force" in ready["checks"]["policy"]

        monkeypatch.setattr(policy_module, "business_today", lambda: date(2027, 1, 15))
        overview = await browser.get("/")
        assert overview.status_code == 200 and 'id="measures-lapsed"' in overview.text
        assert "《宁政办〔2022〕41号》已于2026-12-21到期" in overview.text and "暂行" in overview.text
        alerts = await browser.get("/alerts")
        assert "暂行" in alerts.text
    ready = await gw.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"  # it serves everything, and says:
    assert ready.json()["measures"] == {
        "version": "xining-2022-41",
        "document": "宁政办〔2022〕41号",
        "valid_until": "2026-12-21",
        "lapsed": True,
        "provisional": True,
    }
    assert "lapsed after 2026-12-21" in ready.json()["checks"]["policy"]


async def test_an_event_missing_a_field_the_gateway_reads_is_dead_lettered_not_projected_with_a_none(gw, kafka):
    """The gateway reads events through its typed models: a renamed field fails loudly (retried, then
    dead-lettered) instead of writing a contract with an empty id; the events after it are projected."""
    pub, platform = gw.pub, f"p_{uuid.uuid4().hex[:6]}"
    renamed = await pub.untyped(
        "contracts.contract.drafted.v1",
        {
            "contract_ref": f"c_{platform}_renamed",
            "worker_id": f"w_{platform}",
            "platform_id": platform,
            "enterprise_id": platform,
            "engagement_type": "labor_contract",
            "part_time": False,
            "occupation": "food_delivery",
            "district": "chengxi",
            "start_date": "2026-05-01",
            "end_date": None,
            "pay_period": "month",
            "insurance": {"work_injury": True, "occupational_injury": False, "accident": True},
            "drafted_at": "2026-05-01T09:00:00+08:00",
        },
        key=f"w_{platform}",
    )
    after = await pub.contract(f"c_{platform}_after", f"w_{platform}", platform)
    dead = await read_topic(kafka.bootstrap_servers, f"{pub.topic}.dlq", expect=1, timeout=60, settle=2.0)
    assert renamed.id in [dict(r.headers)["ce_id"].decode() for r in dead]
    await eventually(
        lambda: scalar(gw.url, "select count(*) from contracts where contract_id = :c", c=after.data["contract_id"])
    )
    assert await scalar(gw.url, "select count(*) from contracts where platform_id = :p", p=platform) == 1
