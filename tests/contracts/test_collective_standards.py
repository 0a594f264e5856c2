"""A contract's piece rates may not be below the collective contract's (劳动合同法 art. 55; for work
agreements the measures item 6): the collective contract published by unions on Kafka, contracts drafted
and sent through the contracts API."""

from __future__ import annotations

from datetime import date

import pytest

from newform_common.kafka import ensure_topics
from newform_common.testing import eventually, fetch, running_service, unique_name
from newform_contracts.main import create_app

from ..kit.collective import collective_ended, collective_in_force, piece_rate
from ..kit.contracts import AGREEMENT_FACTS, CIVIL_FACTS, make_settings, migrate, terms
from ..kit.feed import EventFeed
from .conftest import Api

RULE = "M6.collective_standard_undercut"


@pytest.fixture(scope="module")
async def world(new_database, kafka, tokens):
    url = new_database("contracts")
    await migrate(url)
    name = unique_name("ctc").replace("_", "")
    unions_topic = f"{name}-unions.events"
    settings = make_settings(
        url,
        kafka.bootstrap_servers,
        tokens.public_pem,
        service_name=f"{name}-contracts",
        unions_topic=unions_topic,
        run_relay=False,
    )
    await ensure_topics(kafka.bootstrap_servers, [unions_topic])
    async with running_service(create_app, settings, tokens) as service:
        yield (
            Api(client=service.client, tokens=tokens, url=url, settings=settings),
            EventFeed(kafka.bootstrap_servers, topics={"unions": unions_topic}),
        )


async def known(api: Api, cc_id: str, ended: bool = False) -> None:
    async def check():
        row = await fetch(
            api.url, "select ended_on from collective_contracts where collective_contract_id = :c", c=cc_id
        )
        return bool(row) and (row[0]["ended_on"] is not None) == ended

    await eventually(check)


async def drafted(api: Api, pid: str, rates: dict[str, int] | None, **over) -> dict:
    worker = await api.worker(pid)
    r = await api.draft(pid, worker["registration_id"], terms=terms(pay_basis="piece_rate", piece_rates=rates), **over)
    assert r.status_code == 201, r.text
    return r.json()


def rules_of(contract: dict) -> list[str]:
    return [f["rule"] for f in contract["findings"]]


async def test_a_piece_rate_below_the_agreed_one_is_a_finding_at_it_or_silent_none(world):
    api, feed = world
    pid = await api.platform()
    cc = await collective_in_force(feed, [pid], piece_rates=[piece_rate("meal", 500), piece_rate("errand", 450)])
    await known(api, cc)
    below = await drafted(api, pid, {"meal": 499, "errand": 450, "parcel": 100})
    assert rules_of(below).count(RULE) == 1
    # raised when sent, with its evidence: only the undercut type, against its own agreed rate
    h = api.as_platform(pid)
    assert (await api.client.post(f"/v1/contracts/{below['contract_id']}/send", headers=h)).status_code == 200
    (finding,) = await fetch(
        api.url, "select evidence from findings where rule = :r and subject_id = :c", r=RULE, c=below["contract_id"]
    )
    assert finding["evidence"]["collective_contract_id"] == cc
    assert finding["evidence"]["undercut"] == [{"order_type": "meal", "rate_fen": 499, "agreed_min_rate_fen": 500}]
    assert "第五十五条" in finding["evidence"]["legal_source"]
    at = await drafted(api, pid, {"meal": 500, "errand": 460})
    assert RULE not in rules_of(at)
    silent = await drafted(api, pid, {"parcel": 100})  # silent on the agreed types: the standard applies
    assert RULE not in rules_of(silent)
    agreement = await drafted(
        api, pid, {"meal": 300}, engagement_type="work_agreement", engagement_facts=AGREEMENT_FACTS
    )
    assert RULE in rules_of(agreement)
    civil = await drafted(api, pid, {"meal": 300}, engagement_type="civil", engagement_facts=CIVIL_FACTS)
    assert RULE not in rules_of(civil)


async def test_a_collective_contract_not_covering_the_platform_occupation_or_district_binds_nothing(world):
    api, feed = world
    pid, other = await api.platform(), await api.platform()
    rates = [piece_rate("meal", 500), piece_rate("meal", 500, occupation="courier")]
    for cc in [
        await collective_in_force(feed, [other], piece_rates=rates),
        await collective_in_force(feed, [pid], occupations=["courier"], piece_rates=rates),
        await collective_in_force(feed, [pid], kind="district", districts=["datong"], piece_rates=rates),
    ]:
        await known(api, cc)
    assert RULE not in rules_of(await drafted(api, pid, {"meal": 100}))  # food delivery in chengzhong


async def test_an_ended_collective_contract_binds_no_contract_starting_after_its_end(world):
    api, feed = world
    pid = await api.platform()
    cc = await collective_in_force(feed, [pid], piece_rates=[piece_rate("meal", 500)])
    await known(api, cc)
    await collective_ended(feed, cc, date(2026, 5, 31), reason="superseded")  # the last day it applied
    await known(api, cc, ended=True)
    later = await drafted(api, pid, {"meal": 100})  # from 2026-12-01
    assert RULE not in rules_of(later)
    earlier = await drafted(api, pid, {"meal": 100}, start_date="2026-01-01", end_date="2026-12-31")
    assert RULE in rules_of(earlier)
