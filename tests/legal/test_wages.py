"""Wages cases W-1 … W-11 of `legal/cases.md`: facts in, the law's answer out, through the public API of
contracts (the contract, its agreed pay day, its signature) and wages (statements, sessions), with the
engagement carried from contracts to wages by contracts.events on Kafka, and wages' clocks fired at
the moment the case names. RULES.md of services/wages says where each answer is implemented."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from newform_common import clock
from newform_common.testing import app_client, scalar, unique_name
from newform_common.testing import migrated_database as kit_migrated_database
from newform_contracts.main import create_app as create_contracts_app
from newform_wages.main import create_app as create_wages_app
from newform_wages.statements.clocks import MINIMUM_MONTH, PERIOD_DUE

from ..kit.gateway import prepare_topics
from ..kit.stack import contracts_settings_for
from ..kit.wages import wages_settings_for
from .oracle import CASES
from .wages_support import MONTHLY_15TH_NEXT_MONTH, WagesWorld, at, wait_started

ARREARS = ("M6.wage_arrears", "M20.wage_arrears_enforcement", "M19.related_unit_arrears")


@pytest.fixture(scope="module")
async def world(new_database, kafka):
    from newform_common.testing import TokenFactory

    tokens = TokenFactory.generate()
    prefix = unique_name("lw").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "wages"))
    contracts_settings = await contracts_settings_for(new_database, kafka, tokens, prefix)
    wages_url = await kit_migrated_database(new_database, "wages")
    wages_settings = wages_settings_for(prefix, wages_url, kafka.bootstrap_servers, tokens.public_pem)
    wages_app = create_wages_app(wages_settings)
    async with app_client(create_contracts_app(contracts_settings)) as contracts, app_client(wages_app) as wages:
        await wait_started(wages_app)
        yield WagesWorld(contracts=contracts, wages=wages, tokens=tokens, wages_url=wages_url)


def monthly(start: date, end: date, **kw) -> dict:
    line = {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "gross_fen": 200_000,
        "base_fen": 200_000,
        "normal_hours": 168,
        "paid_fen": 0,
        "paid_on": None,
    }
    line.update(kw)
    return line


async def test_W_1(world: WagesWorld):
    case = CASES["W-1"]
    c = await world.contract(start=date(2025, 5, 1), pay_schedule=MONTHLY_15TH_NEXT_MONTH)
    with clock.frozen_at(at(date(2025, 6, 2), 10)):
        s = await world.statement(c, "2025-05", **monthly(date(2025, 5, 1), date(2025, 5, 31)))
    # the agreed pay day is the debt's due date, whatever a default would say (7 days after the period)
    assert s["due_date"] == "2025-06-15", case.answer
    assert not {f["rule"] for f in s["findings"]} & set(ARREARS)
    await world.fire_clocks(at(date(2025, 6, 8), 23, 59))
    assert await world.findings("M6.wage_arrears", contract_id=c["contract_id"]) == [], "no arrears on 2025-06-08"
    await world.fire_clocks(at(date(2025, 6, 15), 23, 59, 59))
    assert await world.findings("M6.wage_arrears", contract_id=c["contract_id"]) == [], "none during the pay day"
    await world.fire_clocks(at(date(2025, 6, 16), 0, 0, 1))
    found = await world.findings("M6.wage_arrears", contract_id=c["contract_id"])
    assert [f["subject_id"] for f in found] == [s["statement_id"]], case.answer
    assert found[0]["evidence"]["due_date"] == "2025-06-15" and found[0]["evidence"]["arrears_fen"] == 200_000


async def test_W_2(world: WagesWorld):
    """Both clocks notice the same unpaid month — the period clock first (no statement yet), the statement's
    own arrears when it arrives unpaid after the pay day, the statement clock of another unpaid month at
    the same moment as its period clock — and each debt is one case: one M6 finding, one M20, one alert."""
    case = CASES["W-2"]
    c = await world.contract(start=date(2025, 5, 1), pay_schedule=MONTHLY_15TH_NEXT_MONTH)
    await world.fire_clocks(at(date(2025, 6, 16), 0, 0, 1), kinds=(PERIOD_DUE,))
    may = await world.findings("M6.wage_arrears", contract_id=c["contract_id"], period_start="2025-05-01")
    assert len(may) == 1 and may[0]["evidence"]["reason"] == "no_statement"
    with clock.frozen_at(at(date(2025, 6, 20), 10)):
        late = await world.statement(c, "2025-05", **monthly(date(2025, 5, 1), date(2025, 5, 31)))
    assert not {f["rule"] for f in late["findings"]} & set(ARREARS), "the debt's case is open already"
    # June: a statement uploaded before its pay day, unpaid; both its clock and the period's run out together
    with clock.frozen_at(at(date(2025, 7, 2), 10)):
        june = await world.statement(c, "2025-06", **monthly(date(2025, 6, 1), date(2025, 6, 30)))
    await world.fire_clocks(at(date(2025, 7, 16), 0, 0, 1))
    await world.fire_clocks(at(date(2025, 7, 20), 0, 0, 1))
    for month in ("2025-05-01", "2025-06-01"):
        for rule in ("M6.wage_arrears", "M20.wage_arrears_enforcement"):
            assert len(await world.findings(rule, contract_id=c["contract_id"], period_start=month)) == 1, (
                case.answer,
                month,
                rule,
            )
    assert await world.findings("M19.related_unit_arrears", contract_id=c["contract_id"]) == []
    # one alert each: one wages.finding.raised.v1 per case for the gateway
    assert await world.events_about("M6.wage_arrears", c["contract_id"]) == 2
    assert await world.events_about("M20.wage_arrears_enforcement", c["contract_id"]) == 2
    june_found = await world.findings("M6.wage_arrears", contract_id=c["contract_id"], period_start="2025-06-01")
    assert june_found[0]["subject_id"] == june["statement_id"]


PAY_MONTH_16TH = {"period": "month", "month_start_day": 16, "day_of_month": 25, "month_offset": 0}


async def test_W_3(world: WagesWorld):
    case = CASES["W-3"]
    c = await world.contract(start=date(2025, 1, 16), pay_schedule=PAY_MONTH_16TH)
    s = await world.statement(
        c,
        "2025-01-16",
        **monthly(
            date(2025, 1, 16),
            date(2025, 2, 15),
            gross_fen=188_000,
            base_fen=188_000,
            paid_fen=188_000,
            paid_on="2025-02-25",
        ),
    )
    assert s["due_date"] == "2025-02-25"
    assert [f["rule"] for f in s["findings"]] == [], case.answer


async def test_W_4(world: WagesWorld):
    case = CASES["W-4"]
    c = await world.contract(start=date(2025, 1, 16), pay_schedule=PAY_MONTH_16TH)
    s = await world.statement(
        c,
        "2025-02-16",
        **monthly(
            date(2025, 2, 16),
            date(2025, 3, 15),
            gross_fen=179_000,
            base_fen=179_000,
            paid_fen=179_000,
            paid_on="2025-03-25",
        ),
    )
    assert [f["rule"] for f in s["findings"]] == ["M6.minimum_wage"], case.answer
    found = (await world.findings_of(s["statement_id"]))[0]
    assert found["evidence"]["shortfall_fen"] == 9_000 and found["evidence"]["required_fen"] == 188_000


async def test_W_5(world: WagesWorld):
    case = CASES["W-5"]
    c = await world.contract(
        start=date(2025, 6, 1), pay_period="day", pay_schedule={"period": "day", "days_after_period_end": 0}
    )
    june = [date(2025, 6, 1) + timedelta(days=n) for n in range(30)]
    working = [d for d in june if d.weekday() < 5 and d != date(2025, 6, 2)]  # 06-02: the Dragon Boat break
    assert len(working) == 20
    lines = [
        {
            "line_id": f"d-{d}",
            "contract_id": c["contract_id"],
            "worker_id": c["worker_id"],
            "period_start": d.isoformat(),
            "period_end": d.isoformat(),
            "gross_fen": 6_500,
            "base_fen": 6_500,
            "normal_hours": 8,
            "paid_fen": 6_500,
            "paid_on": d.isoformat(),
        }
        for d in working
    ]
    batch = await world.batch(c["platform_id"], "statements", lines)
    assert batch["accepted"] == 20 and batch["findings"] == 0, "no day is held to 1/30 of the month"
    await world.fire_clocks(at(date(2025, 7, 1), 0, 0, 1), kinds=(MINIMUM_MONTH,))
    found = await world.findings_of(f"{c['contract_id']}:2025-06-01")
    assert [f["rule"] for f in found] == ["M6.minimum_wage"], case.answer
    assert found[0]["evidence"]["shortfall_fen"] == 58_000 and found[0]["evidence"]["normal_pay_fen"] == 130_000


def october(**kw) -> dict:
    line = {
        "period_start": "2025-10-01",
        "period_end": "2025-10-31",
        "due_date": "2025-11-10",
        "base_fen": 320_000,
        "normal_hours": 160,
        "payment_method": "bank",
    }  # 20 yuan an hour
    line.update(kw)
    line["gross_fen"] = sum(line.get(k, 0) for k in ("base_fen", "overtime_fen", "rest_day_fen", "holiday_fen"))
    line["paid_fen"], line["paid_on"] = line["gross_fen"], "2025-11-10"
    return line


async def test_W_6(world: WagesWorld):
    case = CASES["W-6"]
    c = await world.contract(engagement_type="work_agreement", start=date(2025, 9, 1))
    s = await world.statement(
        c, "2025-10", **october(premium_days=[{"date": "2025-10-01", "hours": 8}], holiday_fen=8 * 2_000)
    )
    assert "M6.overtime_premium" in [f["rule"] for f in s["findings"]], case.answer
    found = next(f for f in await world.findings_of(s["statement_id"]) if f["rule"] == "M6.overtime_premium")
    assert found["evidence"]["required"] == "above_normal_rate"
    assert found["evidence"]["minutes_by_kind"] == {"statutory_holiday": 480}
    # paid above the normal rate: lawful for a work agreement (no figure is set; above is enough)
    s = await world.statement(
        c,
        "2025-10-b",
        **october(
            premium_days=[{"date": "2025-10-01", "hours": 8}], holiday_fen=8 * 2_000 + 800, period_start="2025-10-01"
        ),
    )
    assert "M6.overtime_premium" not in [f["rule"] for f in s["findings"]]


async def test_W_7(world: WagesWorld):
    case = CASES["W-7"]
    c = await world.contract(start=date(2025, 9, 1))
    s = await world.statement(
        c, "2025-10", **october(premium_days=[{"date": "2025-10-01", "hours": 8}], holiday_fen=8 * 2_000 * 2)
    )
    found = next(f for f in await world.findings_of(s["statement_id"]) if f["rule"] == "M6.overtime_premium")
    assert found["evidence"]["minutes_by_kind"] == {"statutory_holiday": 480}, case.answer
    assert found["evidence"]["required_by_kind_fen"] == {"statutory_holiday": 8 * 2_000 * 3}
    paid = await world.statement(
        c, "2025-10-paid", **october(premium_days=[{"date": "2025-10-01", "hours": 8}], holiday_fen=8 * 2_000 * 3)
    )
    assert "M6.overtime_premium" not in [f["rule"] for f in paid["findings"]]


async def test_W_8(world: WagesWorld):
    case = CASES["W-8"]
    c = await world.contract(start=date(2025, 9, 1))
    s = await world.statement(
        c, "2025-10", **october(premium_days=[{"date": "2025-10-04", "hours": 8, "time_off_in_lieu_on": "2025-10-13"}])
    )
    assert "M6.overtime_premium" not in [f["rule"] for f in s["findings"]], case.answer
    # without the time off, the 200 % is owed
    s = await world.statement(c, "2025-10-no-time-off", **october(premium_days=[{"date": "2025-10-04", "hours": 8}]))
    found = next(f for f in await world.findings_of(s["statement_id"]) if f["rule"] == "M6.overtime_premium")
    assert found["evidence"]["required_by_kind_fen"] == {"rest_day": 8 * 2_000 * 2}
    # time off not given yet cannot be declared
    r = await world.wages.post(
        "/v1/statements",
        headers=world.platform_headers(c["platform_id"]),
        json={
            "line_id": "future-time-off",
            "contract_id": c["contract_id"],
            "worker_id": c["worker_id"],
            **october(
                premium_days=[
                    {
                        "date": "2025-10-04",
                        "hours": 8,
                        "time_off_in_lieu_on": (date.today() + timedelta(days=30)).isoformat(),
                    }
                ]
            ),
        },
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


async def test_W_9(world: WagesWorld):
    case = CASES["W-9"]
    c = await world.contract(start=date(2025, 5, 1))
    lines = []
    for n in range(30):
        d = date(2025, 6, 1) + timedelta(days=n)
        for part, (start, end) in enumerate((("08:00", "12:00"), ("12:30", "16:30"))):
            lines.append(
                {
                    "line_id": f"s-{d}-{part}",
                    "worker_id": c["worker_id"],
                    "contract_id": c["contract_id"],
                    "started_at": f"{d}T{start}:00+08:00",
                    "ended_at": f"{d}T{end}:00+08:00",
                }
            )
    await world.batch(c["platform_id"], "sessions", lines)
    found = [f for f in await world.findings_of(f"{c['worker_id']}:2025-06") if f["platform_id"] is None]
    assert [f["rule"] for f in found] == ["M7.monthly_overtime"], case.answer
    # ten rest days at 8 h each: nine weekend days and 06-02 (the Dragon Boat break); no hour beyond 8 a day
    assert found[0]["evidence"]["overtime_by_kind"] == {"rest_day": 10 * 480}
    assert found[0]["evidence"]["overtime_minutes"] == 80 * 60


async def test_W_10(world: WagesWorld):
    case = CASES["W-10"]
    c = await world.contract(start=date(2025, 5, 1))
    lines = [
        {
            "line_id": "evening",
            "worker_id": c["worker_id"],
            "started_at": "2025-07-10T21:00:00+08:00",
            "ended_at": "2025-07-11T00:00:00+08:00",
        },
        {
            "line_id": "night",
            "worker_id": c["worker_id"],
            "started_at": "2025-07-11T00:00:00+08:00",
            "ended_at": "2025-07-11T03:00:00+08:00",
        },
    ]
    await world.batch(c["platform_id"], "sessions", lines)
    found = [f for f in await world.findings_of(f"{c['worker_id']}:2025-07-10") if f["platform_id"] is None]
    assert [f["rule"] for f in found] == ["M7.rest_break"], case.answer
    assert found[0]["evidence"]["continuous_minutes"] == 360


async def test_W_11(world: WagesWorld):
    case = CASES["W-11"]
    c = await world.contract(start=date(2025, 3, 1), signed_on=date(2025, 5, 10))
    await world.fire_clocks(at(date(2025, 5, 10), 12), kinds=(PERIOD_DUE,))
    found = await world.findings("M6.wage_arrears", contract_id=c["contract_id"])
    assert [(f["evidence"]["period_start"], f["evidence"]["reason"]) for f in found] == [
        ("2025-03-01", "no_statement"),
        ("2025-04-01", "no_statement"),
    ], case.answer
    # and the May period has its clock like every other
    assert (
        await scalar(
            world.wages_url,
            "select count(*) from deadlines where kind = 'wages.period_due' and status = 'pending' and subject_id = :s",
            s=f"{c['contract_id']}:2025-05-01",
        )
        == 1
    )
