"""Verified beats declared (newform_contracts/verified/): departments' facts, from departments.events,
against what platforms declared — through real Kafka, with the kit's clocks fired at chosen times."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from newform_common import deadlines
from newform_common.db import Database
from newform_common.events import Envelope
from newform_common.kafka import ensure_topics
from newform_common.policy import BUSINESS_TZ
from newform_common.testing import ServiceApi, eventually, running_service, unique_name, while_open, worker_id_of
from newform_contracts import handlers
from newform_contracts.main import create_app
from newform_contracts.verified import rules as verified_rules
from newform_contracts.verified import service as verified
from newform_departments import events as department_events  # the producer's own event models

from ..kit.contracts import credit_code, execute, make_settings, migrate, resident_id, scalar, terms
from ..kit.feed import EventFeed
from .conftest import Api


@pytest.fixture(scope="module")
async def world(new_database, kafka, tokens):
    url = new_database("contracts")
    await migrate(url)
    name = unique_name("ctv").replace("_", "")
    departments_topic = f"{name}-departments.events"
    settings = make_settings(
        url,
        kafka.bootstrap_servers,
        tokens.public_pem,
        service_name=f"{name}-contracts",
        departments_topic=departments_topic,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=0.2,
    )
    await ensure_topics(kafka.bootstrap_servers, [departments_topic, settings.topic])
    async with running_service(create_app, settings, tokens) as service:
        api = Api(client=service.client, tokens=tokens, url=url, settings=settings)
        db = Database(url, service="contracts")
        try:
            yield api, db, departments_topic
        finally:
            await db.dispose()


async def publish(bootstrap: str, topic: str, event) -> None:
    await EventFeed(bootstrap, topics={"departments": topic}).send(event, source="departments")


def stated(**fields) -> dict:
    at = datetime(2026, 11, 20, 9, tzinfo=BUSINESS_TZ)
    return {"fact_id": unique_name("fct"), "version": 1, "observed_at": at, "recorded_at": at, **fields}


async def findings(api: ServiceApi, rule: str, contract_id: str) -> list[dict]:
    items = (await api.client.get("/v1/findings", headers=api.regulator, params={"rule": rule, "limit": 200})).json()[
        "items"
    ]
    return [f for f in items if f["subject_id"] == contract_id]


async def test_medins_not_enrolled_contradicts_the_declared_insurance_and_says_so(world):
    api, _, topic = world
    pid = await api.platform()
    id_number = resident_id()
    worker = await api.worker(pid, id_number)
    contract = await api.signed(
        pid,
        worker["registration_id"],
        pid,
        terms=terms(insurance={"work_injury": True, "occupational_injury": False, "accident": True}),
    )
    fact = stated(
        subject_key=worker_id_of(id_number),
        department="medins",
        reference="XNYB-2026-0099",
        worker_id=worker_id_of(id_number),
        insurance_type="work_injury",
        status="not_enrolled",
    )
    await publish(api.settings.kafka_bootstrap_servers, topic, department_events.InsuranceEnrolmentRecorded(**fact))

    async def raised():
        return await findings(api, "M9.declared_insurance_not_enrolled", contract["contract_id"])

    [finding] = await eventually(raised)
    assert finding["measure"] == "M9" and finding["platform_id"] == pid
    assert finding["evidence"]["source"] == "medins" and finding["evidence"]["reference"] == "XNYB-2026-0099"
    assert finding["evidence"]["declared"] is True and finding["evidence"]["verified_status"] == "not_enrolled"
    # The same statement again (a redelivery) raises nothing more.
    await publish(api.settings.kafka_bootstrap_servers, topic, department_events.InsuranceEnrolmentRecorded(**fact))
    assert len(await findings(api, "M9.declared_insurance_not_enrolled", contract["contract_id"])) == 1


async def test_a_fact_held_before_the_contract_applies_when_the_contract_is_sent(world):
    api, _, topic = world
    pid = await api.platform()
    id_number = resident_id()
    w = worker_id_of(id_number)
    await publish(
        api.settings.kafka_bootstrap_servers,
        topic,
        department_events.InsuranceEnrolmentRecorded(
            **stated(
                subject_key=w,
                department="hrss",
                reference="XNSB-1",
                worker_id=w,
                insurance_type="work_injury",
                status="not_enrolled",
            )
        ),
    )
    await eventually(lambda: scalar(api.url, "select count(*) from verified_insurance where worker_id = :w", w=w))
    worker = await api.worker(pid, id_number)
    contract = await api.signed(pid, worker["registration_id"], pid)

    async def raised():
        return await findings(api, "M9.declared_insurance_not_enrolled", contract["contract_id"])

    [finding] = await eventually(raised)
    assert finding["evidence"]["source"] == "hrss"


async def test_an_enrolment_the_department_confirms_raises_nothing(world):
    api, _, topic = world
    pid = await api.platform()
    id_number = resident_id()
    w = worker_id_of(id_number)
    worker = await api.worker(pid, id_number)
    contract = await api.signed(pid, worker["registration_id"], pid)
    await publish(
        api.settings.kafka_bootstrap_servers,
        topic,
        department_events.InsuranceEnrolmentRecorded(
            **stated(
                subject_key=w,
                department="medins",
                reference="XNYB-OK",
                worker_id=w,
                insurance_type="work_injury",
                status="enrolled",
                start_date=date(2026, 1, 1),
            )
        ),
    )
    await eventually(lambda: scalar(api.url, "select count(*) from verified_insurance where reference = 'XNYB-OK'"))
    assert await findings(api, "M9.declared_insurance_not_enrolled", contract["contract_id"]) == []


async def test_a_licence_revoked_by_hrss_moves_liability_to_the_platform_on_its_date(world):
    api, db, topic = world
    pid = await api.platform()
    holder = credit_code()
    agency = await api.partner(pid, "dispatch_agency", credit_code=holder)
    worker = await api.worker(pid)
    contract = await api.signed(pid, worker["registration_id"], agency["enterprise_id"])
    revoked_on = date(2027, 3, 1)
    licence = stated(
        subject_key=holder,
        department="hrss",
        reference="青人社派许字〔2024〕0012号",
        licence_number="青人社派许字〔2024〕0012号",
        holder_credit_code=holder,
        holder_name="某劳务派遣公司",
        valid_from=date(2024, 1, 1),
        valid_until=date(2028, 6, 30),
        revoked_on=revoked_on,
        revocation_reason="违规经营",
        effective_until=revoked_on - timedelta(days=1),
    )
    await publish(api.settings.kafka_bootstrap_servers, topic, department_events.DispatchLicenceRecorded(**licence))

    async def clock():
        return await scalar(
            api.url,
            "select due_at from deadlines where kind = :k and subject_id = :s",
            k=verified.LICENCE_LAPSE,
            s=licence["fact_id"],
        )

    due_at = await eventually(clock)
    assert due_at == datetime(2027, 3, 1, tzinfo=BUSINESS_TZ)
    handlers = verified.DEADLINE_HANDLERS
    the_day_before = datetime(2027, 2, 28, 23, 59, tzinfo=BUSINESS_TZ)
    assert await deadlines.fire_due(db, handlers, now=the_day_before) == []
    assert (
        await scalar(
            api.url, "select count(*) from verified_liability where contract_id = :c", c=contract["contract_id"]
        )
        == 0
    )
    fired = await deadlines.fire_due(db, handlers, now=datetime(2027, 3, 1, 0, 1, tzinfo=BUSINESS_TZ))
    assert [d.subject_id for d in fired] == [licence["fact_id"]]
    shift = await scalar(
        api.url,
        "select liable_party || ' ' || since || ' ' || source || ' ' || reason "
        "from verified_liability where contract_id = :c",
        c=contract["contract_id"],
    )
    assert shift == "platform 2027-03-01 hrss revoked"
    [finding] = await findings(api, "M3.dispatch_licence_invalid", contract["contract_id"])
    assert finding["evidence"]["source"] == "hrss" and finding["evidence"]["invalid_from"] == "2027-03-01"
    assert finding["evidence"]["liable_party"] == "platform" and finding["platform_id"] == pid


async def test_a_renewed_licence_moves_its_clock_and_no_liability_moves(world):
    api, db, topic = world
    pid = await api.platform()
    holder = credit_code()
    agency = await api.partner(pid, "dispatch_agency", credit_code=holder)
    worker = await api.worker(pid)
    contract = await api.signed(pid, worker["registration_id"], agency["enterprise_id"])
    first = stated(
        subject_key=holder,
        department="hrss",
        reference="LIC-R",
        licence_number="LIC-R",
        holder_credit_code=holder,
        holder_name="x",
        valid_from=date(2024, 1, 1),
        valid_until=date(2027, 5, 31),
        effective_until=date(2027, 5, 31),
    )
    await publish(api.settings.kafka_bootstrap_servers, topic, department_events.DispatchLicenceRecorded(**first))
    renewed = {**first, "version": 2, "valid_until": date(2030, 5, 31), "effective_until": date(2030, 5, 31)}
    await publish(api.settings.kafka_bootstrap_servers, topic, department_events.DispatchLicenceRecorded(**renewed))

    async def moved():
        due = await scalar(
            api.url,
            "select due_at from deadlines where kind = :k and subject_id = :s and status = 'pending'",
            k=verified.LICENCE_LAPSE,
            s=first["fact_id"],
        )
        return due if due and due.year == 2030 else None

    await eventually(moved)
    assert await deadlines.fire_due(db, verified.DEADLINE_HANDLERS, now=datetime(2027, 6, 2, tzinfo=BUSINESS_TZ)) == []
    assert await findings(api, "M3.dispatch_licence_invalid", contract["contract_id"]) == []


async def test_market_reporting_a_partner_unqualified_makes_the_platform_liable(world):
    api, _, topic = world
    pid = await api.platform()
    code = credit_code()
    partner = await api.partner(pid, "outsourcer", credit_code=code)
    worker = await api.worker(pid)
    contract = await api.signed(pid, worker["registration_id"], partner["enterprise_id"])
    await publish(
        api.settings.kafka_bootstrap_servers,
        topic,
        department_events.EnterpriseRecordRecorded(
            **stated(
                subject_key=code,
                department="market",
                reference="SC-2026-17",
                credit_code=code,
                name="某外包公司",
                registration_status="revoked",
                qualified=False,
            )
        ),
    )

    async def raised():
        return await findings(api, "M3.unqualified_partner", contract["contract_id"])

    [finding] = await eventually(raised)
    assert finding["evidence"]["source"] == "market" and finding["evidence"]["registration_status"] == "revoked"
    assert finding["evidence"]["liable_party"] == "platform"


async def test_at_drafting_the_departments_facts_replace_the_declaration_and_the_findings_say_so(world):
    api, _, topic = world
    bootstrap = api.settings.kafka_bootstrap_servers
    pid = await api.platform()
    holder, id_number = credit_code(), resident_id()
    w = worker_id_of(id_number)
    # hrss holds a valid licence the platform declared expired; medins has the worker enrolled though the
    # platform declared no work-injury insurance.
    await publish(
        bootstrap,
        topic,
        department_events.DispatchLicenceRecorded(
            **stated(
                subject_key=holder,
                department="hrss",
                reference="LIC-OK",
                licence_number="LIC-OK",
                holder_credit_code=holder,
                holder_name="x",
                valid_from=date(2024, 1, 1),
                valid_until=date(2030, 1, 1),
                effective_until=date(2030, 1, 1),
            )
        ),
    )
    await publish(
        bootstrap,
        topic,
        department_events.InsuranceEnrolmentRecorded(
            **stated(
                subject_key=w,
                department="medins",
                reference="YB-OK",
                worker_id=w,
                insurance_type="work_injury",
                status="enrolled",
                start_date=date(2026, 1, 1),
            )
        ),
    )
    await eventually(lambda: scalar(api.url, "select count(*) from verified_insurance where reference = 'YB-OK'"))
    await eventually(lambda: scalar(api.url, "select count(*) from verified_licences where reference = 'LIC-OK'"))
    agency = await api.partner(
        pid, "dispatch_agency", credit_code=holder, dispatch_licence={"number": "LIC-OK", "valid_until": "2025-06-30"}
    )
    worker = await api.worker(pid, id_number)
    declared = terms(insurance={"work_injury": False, "occupational_injury": False, "accident": True})
    contract = await api.signed(pid, worker["registration_id"], agency["enterprise_id"], terms=declared)
    assert await findings(api, "M3.dispatch_licence_invalid", contract["contract_id"]) == []
    assert await findings(api, "M9.dispatched_worker_insurance", contract["contract_id"]) == []

    # The other way round: medins says not enrolled, the platform says insured: judged by medins's register.
    other_id = resident_id()
    other = worker_id_of(other_id)
    await publish(
        bootstrap,
        topic,
        department_events.InsuranceEnrolmentRecorded(
            **stated(
                subject_key=other,
                department="medins",
                reference="YB-NO",
                worker_id=other,
                insurance_type="work_injury",
                status="not_enrolled",
            )
        ),
    )
    await eventually(lambda: scalar(api.url, "select count(*) from verified_insurance where reference = 'YB-NO'"))
    registered = await api.worker(pid, other_id)
    contract = await api.signed(pid, registered["registration_id"], pid)
    [finding] = await findings(api, "M9.work_injury_insurance", contract["contract_id"])
    assert finding["evidence"]["source"] == "medins" and finding["evidence"]["reference"] == "YB-NO"


async def test_a_fact_restated_while_its_contract_is_checked_raises_one_finding(world):
    """The fact's consumer (a new version: checks the worker's live contracts) and the contract's check
    (sent: checks the facts held) side by side: each looked for the finding on (rule, contract, fact)
    before the other committed it, and both raised it (two instances share these topics' partitions)."""
    api, db, _ = world
    pid = await api.platform()
    id_number = resident_id()
    worker = await api.worker(pid, id_number)
    drafted = await api.draft(
        pid,
        worker["registration_id"],
        pid,
        terms=terms(insurance={"work_injury": True, "occupational_injury": False, "accident": True}),
    )
    contract_id = drafted.json()["contract_id"]
    fact = stated(
        subject_key=worker_id_of(id_number),
        department="medins",
        reference="XNYB-2026-0100",
        worker_id=worker_id_of(id_number),
        insurance_type="work_injury",
        status="not_enrolled",
    )

    def stated_as(version: int) -> Envelope:
        return Envelope.of(
            department_events.InsuranceEnrolmentRecorded(**{**fact, "version": version}), source="/newform/departments"
        )

    async with db.transaction() as session:
        await handlers.on_departments_events(session, [stated_as(1)])  # held: the contract is a draft, nothing raised
    # Sent without its event, so only the two paths below check it.
    await execute(api.url, "update contracts set status = 'sent' where id = :c", c=contract_id)

    async def restated(session):
        await handlers.on_departments_events(session, [stated_as(2)])

    async def checked():
        async with db.transaction() as session:
            await verified.check_contract(session, contract_id, date.today())

    await while_open(api, restated, checked)
    assert len(await findings(api, "M9.declared_insurance_not_enrolled", contract_id)) == 1


def test_each_fact_speaks_for_its_own_days():
    """M3 / M9 on day D: licences followed through renewals, the market record and the enrolment in force."""
    from types import SimpleNamespace as Row

    at = datetime(2026, 11, 20, 9, tzinfo=BUSINESS_TZ)
    l1 = Row(
        valid_from=date(2023, 1, 1), effective_until=date(2025, 12, 31), revoked_on=None, valid_until=date(2025, 12, 31)
    )
    l2 = Row(
        valid_from=date(2026, 1, 1), effective_until=date(2028, 12, 31), revoked_on=None, valid_until=date(2028, 12, 31)
    )
    assert verified_rules.first_unlicensed_day([l1, l2], date(2025, 6, 1)) == date(2029, 1, 1)
    assert verified_rules.first_unlicensed_day([l1], date(2025, 6, 1)) == date(2026, 1, 1)
    later = Row(
        valid_from=date(2027, 1, 1), effective_until=date(2029, 12, 31), revoked_on=None, valid_until=date(2029, 12, 31)
    )
    assert verified_rules.licence_on([later], date(2026, 6, 1)) is None
    assert verified_rules.why_unlicensed([later], date(2026, 6, 1)) == (later, "not_yet_valid")
    assert verified_rules.why_unlicensed([l1], date(2026, 1, 1)) == (l1, "expired")

    suspended = Row(valid_from=date(2023, 1, 1), valid_until=None, observed_at=at, version=1)
    active = Row(valid_from=date(2024, 1, 1), valid_until=None, observed_at=at - timedelta(days=9), version=1)
    assert verified_rules.record_on([suspended, active], date(2026, 3, 1)) is active
    assert verified_rules.record_on([suspended, active], date(2023, 6, 1)) is suspended

    current = verified_rules.Enrolment("medins", "YB-26", "f1", "work_injury", "enrolled", date(2026, 1, 1), None, at)
    ended = verified_rules.Enrolment(
        "hrss", "YB-25", "f2", "work_injury", "enrolled", date(2025, 1, 1), date(2025, 12, 31), at + timedelta(days=1)
    )  # stated later, about 2025
    assert verified_rules.latest_by_type([current, ended], date(2026, 6, 1))["work_injury"] is current
    assert (
        verified_rules.declared_insurance_contradicted({"work_injury": True}, [current, ended], date(2026, 6, 1)) == []
    )
    assert verified_rules.latest_by_type([ended], date(2026, 6, 1))["work_injury"] is ended  # ended: not enrolled
