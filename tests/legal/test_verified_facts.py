"""Verified facts (V-1 … V-3 of cases.md): hrss's dispatch licences and market's enterprise records, stated in
the departments service, reach contracts through Kafka and decide M3 — always by asking whether the holder
had a valid licence / qualification **on day D**, never by which record came last."""

from __future__ import annotations

import pytest

from newform_common import testing as kit
from newform_common.testing import eventually

from .facts_support import Case, id_number, world

CASES = [
    Case(
        "V-1",
        "a dispatch agency holds licence L1 2023-01-01..2025-12-31 and L2 2026-01-01..2028-12-31",
        "no lapse on 2026-01-01; liability does not move",
        "the measures item 3",
        {
            "licences": [("L1", "2023-01-01", "2025-12-31"), ("L2", "2026-01-01", "2028-12-31")],
            "contract": ("2025-07-01", "2026-06-30"),
        },
    ),
    Case(
        "V-2",
        "a licence valid only from 2027-01-01; contract starts 2026-06-01",
        "not licensed on the start date: finding, liability on the platform",
        "item 3",
        {"licences": [("L3", "2027-01-01", "2029-12-31")], "contract": ("2026-06-01", "2027-05-31")},
    ),
    Case(
        "V-3",
        "market records: 2023 suspended, 2024 active again; contract sent 2026",
        "qualified (the record in force on the day decides)",
        "item 3",
        {
            "records": [("SC-2023", "2023-01-01", "suspended", False), ("SC-2024", "2024-01-01", "active", True)],
            "contract": ("2026-12-01", "2027-11-30"),
        },
    ),
]
BY_ID = {c.id: c for c in CASES}


@pytest.fixture(scope="module")
async def w(new_database, kafka, tokens):
    async with world(new_database, kafka, tokens) as running:
        yield running


async def liability(w, contract_id: str) -> list[tuple]:
    rows = await kit.fetch(
        w.contracts.url,
        "select liable_party, since, reason, reference from verified_liability where contract_id = :c",
        c=contract_id,
    )
    return [(r["liable_party"], r["since"].isoformat(), r["reason"], r["reference"]) for r in rows]


async def licences_held(w, holder: str, count: int) -> None:
    async def held():
        return (
            await kit.scalar(
                w.contracts.url, "select count(*) from verified_licences where holder_credit_code = :h", h=holder
            )
            == count
        )

    await eventually(held, timeout=60)


async def agency_with_licences(w, case: Case) -> tuple[str, str]:
    """hrss states the agency's licences; the platform then works through the agency."""
    holder = kit.credit_code()
    items = [
        {
            "reference": f"青人社派许字{number}-{holder[-6:]}",
            "holder_credit_code": holder,
            "holder_name": "某劳务派遣公司",
            "valid_from": start,
            "valid_until": end,
        }
        for number, start, end in case.data["licences"]
    ]
    await w.state_many("dispatch-licences", "hrss", items)
    await licences_held(w, holder, len(items))
    pid = await w.platform()
    first = items[0]
    # The platform declares the first licence only; hrss's register decides.
    agency = await w.partner(
        pid,
        "dispatch_agency",
        holder,
        dispatch_licence={"number": first["reference"], "valid_until": first["valid_until"]},
    )
    return pid, agency


@pytest.mark.parametrize("case", [BY_ID["V-1"]], ids=["V-1"])
async def test_V_1_a_renewal_under_a_new_number_is_no_lapse(w, case):
    pid, agency = await agency_with_licences(w, case)
    registration = await w.worker(pid, id_number())
    start, end = case.data["contract"]
    contract = await w.sent_contract(pid, registration, agency, start=start, end=end)
    await w.checked(contract)
    # Judged on every day of the contract so far, 2026-01-01 included: L2 covers it. Nothing moves.
    assert await liability(w, contract) == []
    assert await w.findings("M3.dispatch_licence_invalid", contract) == []


@pytest.mark.parametrize("case", [BY_ID["V-2"]], ids=["V-2"])
async def test_V_2_a_licence_valid_only_later_does_not_cover_the_start(w, case):
    pid, agency = await agency_with_licences(w, case)
    registration = await w.worker(pid, id_number())
    start, end = case.data["contract"]
    contract = await w.sent_contract(pid, registration, agency, start=start, end=end)
    await w.checked(contract)

    async def raised():
        return await w.findings("M3.dispatch_licence_invalid", contract)

    found = await eventually(raised, timeout=60)
    assert found, case.answer
    assert all(f["evidence"]["liable_party"] == "platform" for f in found)
    assert all(f["evidence"].get("licence") == "not_yet_valid" for f in found)
    assert any(f["evidence"].get("source") == "hrss" for f in found)  # on hrss's record, cited
    [(party, since, reason, reference)] = await liability(w, contract)
    assert (party, since, reason) == ("platform", "2026-06-01", "not_yet_valid")
    assert reference.startswith("青人社派许字L3")


@pytest.mark.parametrize("case", [BY_ID["V-3"]], ids=["V-3"])
async def test_V_3_the_record_in_force_on_the_day_decides(w, case):
    code = kit.credit_code()
    items = [
        {
            "reference": f"{ref}-{code[-6:]}",
            "credit_code": code,
            "name": "某外包公司",
            "registration_status": status,
            "qualified": qualified,
            "valid_from": since,
        }
        for ref, since, status, qualified in case.data["records"]
    ]
    # market states the 2024 record first, then the old 2023 one (a late back-fill): order does not decide.
    for item in reversed(items):
        await w.state("enterprise-records", "market", item)

    async def held():
        return (
            await kit.scalar(
                w.contracts.url, "select count(*) from verified_enterprises where credit_code = :c", c=code
            )
            == 2
        )

    await eventually(held, timeout=60)
    pid = await w.platform()
    partner = await w.partner(pid, "outsourcer", code)
    registration = await w.worker(pid, id_number())
    start, end = case.data["contract"]
    contract = await w.sent_contract(pid, registration, partner, start=start, end=end)
    await w.checked(contract)
    assert await w.findings("M3.unqualified_partner", contract) == [], case.answer
    # The same partner, a contract that started while it was suspended: judged by the 2023 record.
    registration = await w.worker(pid, id_number())
    old = await w.sent_contract(pid, registration, partner, start="2023-06-01", end="2023-12-31")
    await w.checked(old)
    [finding] = await eventually(lambda: w.findings("M3.unqualified_partner", old), timeout=60)
    assert finding["evidence"]["source"] == "market" and finding["evidence"]["reference"].startswith("SC-2023")
