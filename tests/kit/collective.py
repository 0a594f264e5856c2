"""Unions' collective contracts on the one typed test feed (`tests/kit/feed.py`): the unions service's own
event models (`unions.collective_contract.in_force.v1`, `…ended.v1`, key the collective contract's id), sent
as its outbox relay would."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from newform_unions.events import CollectiveContractEnded, CollectiveContractInForce, PieceRate, Quota, Terms

from .feed import EventFeed


def piece_rate(order_type: str, min_rate_fen: int, occupation: str = "food_delivery") -> dict[str, Any]:
    return {"occupation": occupation, "order_type": order_type, "min_rate_fen": min_rate_fen}


async def collective_in_force(
    feed: EventFeed,
    platform_ids: list[str],
    *,
    collective_contract_id: str | None = None,
    kind: str = "enterprise",
    districts: list[str] | None = None,
    occupations: list[str] | None = None,
    effective_from: date = date(2024, 1, 1),
    effective_until: date | None = None,
    in_force_on: date | None = None,
    piece_rates: list[dict[str, Any]] | None = None,
    quotas: list[dict[str, Any]] | None = None,
    night_allowance_fen_per_hour: int | None = None,
    bad_weather_allowance_fen_per_day: int | None = None,
) -> str:
    """A collective contract in force (from 1 January 2024 unless told); its id."""
    cc_id = collective_contract_id or "cc_" + secrets.token_hex(6)
    await feed.send(
        CollectiveContractInForce(
            collective_contract_id=cc_id,
            union_id="un_" + secrets.token_hex(4),
            kind=kind,  # type: ignore[arg-type]  (a test names the kind as a word)
            platform_ids=platform_ids,
            districts=districts or [],
            occupations=occupations or [],
            effective_from=effective_from,
            effective_until=effective_until,
            in_force_on=in_force_on or effective_from,
            terms=Terms(
                piece_rates=[PieceRate(**p) for p in piece_rates or []],
                quotas=[Quota(**q) for q in quotas or []],
                bad_weather_allowance_fen_per_day=bad_weather_allowance_fen_per_day,
                night_allowance_fen_per_hour=night_allowance_fen_per_hour,
            ),
        ),
        source="unions",
    )
    return cc_id


async def collective_ended(feed: EventFeed, collective_contract_id: str, ended_on: date, reason: str = "terminated"):
    """The collective contract ended; `ended_on` is the last day it applied (unions' word)."""
    await feed.send(
        CollectiveContractEnded(collective_contract_id=collective_contract_id, ended_on=ended_on, reason=reason),  # type: ignore[arg-type]
        source="unions",
    )
