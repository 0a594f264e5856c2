"""Migration gw_contracts_0001 on a gateway that logged lifts before it projected them: the lifts in the
event log are applied, the registration whose cancellation was lifted is active again (and counted), the
one still cancelled stays out, and the lift of a mere restriction changes nothing (M5, M17)."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from newform_common.migrations import upgrade
from newform_common.testing import scalar


async def _execute(url: str, *statements: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def _lift_event(n: int, restriction_id: str, worker_id: str) -> str:
    data = {
        "restriction_id": restriction_id,
        "worker_id": worker_id,
        "platform_id": "plt-m",
        "lifted_by_role": "regulator",
        "lifted_at": "2026-12-01T08:00:00+00:00",
    }
    return (
        "insert into event_log (event_id, type, source, service, key, time, data, worker_id, platform_id) values "
        f"('ev-{n}', 'contracts.account.restriction_lifted.v1', 'newform/contracts', 'contracts', '{worker_id}', "
        f"'2026-12-01T08:00:00+00:00', '{json.dumps(data)}'::jsonb, '{worker_id}', 'plt-m')"
    )


async def test_lifts_already_logged_reinstate_their_registrations(new_database):
    url = new_database("gwlifts")
    await asyncio.to_thread(upgrade, "newform_gateway", url, "0004_read_counters")
    registrations = ", ".join(
        f"('reg-{w}', '{w}', 'plt-m', 'chengxi', '2026-11-01T08:00:00+00:00', false)" for w in ("w1", "w2")
    )
    await _execute(
        url,
        "insert into worker_registrations (registration_id, worker_id, platform_id, residence_district, "
        f"registered_at, active) values {registrations}, "
        "('reg-w3', 'w3', 'plt-m', 'chengxi', '2026-11-01T08:00:00+00:00', true)",
        # w1's cancellation was lifted, w2's was not; w3 was only restricted, and that lifted
        "insert into account_restrictions (restriction_id, worker_id, platform_id, action) values "
        "('rs-1', 'w1', 'plt-m', 'cancel'), ('rs-2', 'w2', 'plt-m', 'cancel'), ('rs-3', 'w3', 'plt-m', 'restrict')",
        _lift_event(1, "rs-1", "w1"),
        _lift_event(3, "rs-3", "w3"),
    )
    counted = "select n from read_counters where scope = 'plt-m' and dimension = 'registrations_active'"
    assert await scalar(url, counted) == 1

    await asyncio.to_thread(upgrade, "newform_gateway", url)

    active = "select string_agg(worker_id, ',' order by worker_id) from worker_registrations where active"
    assert await scalar(url, active) == "w1,w3"
    assert await scalar(url, counted) == 2
    lifted = (
        "select string_agg(restriction_id, ',' order by restriction_id) from account_restrictions "
        "where lifted_at is not null"
    )
    assert await scalar(url, lifted) == "rs-1,rs-3"
