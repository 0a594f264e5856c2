"""Unions' collective contracts on the one test feed (`tests/kit/feed.py`), in the unions service's published
shape (`unions.collective_contract.in_force.v1`, `…ended.v1`, key the collective contract's id).

Sent with `EventFeed.untyped` until the unions service's event models are committed; then these builders
can send its models with `feed.send(...)` and nothing in the tests that use them changes."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from .feed import EventFeed

IN_FORCE = "unions.collective_contract.in_force.v1"
ENDED = "unions.collective_contract.ended.v1"


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
    await feed.untyped(
        IN_FORCE,
        {
            "collective_contract_id": cc_id,
            "union_id": "un_" + secrets.token_hex(4),
            "kind": kind,
            "platform_ids": platform_ids,
            "districts": districts or [],
            "occupations": occupations or [],
            "effective_from": effective_from.isoformat(),
            "effective_until": effective_until.isoformat() if effective_until else None,
            "in_force_on": (in_force_on or effective_from).isoformat(),
            "terms": {
                "piece_rates": piece_rates or [],
                "quotas": quotas or [],
                "bad_weather_allowance_fen_per_day": bad_weather_allowance_fen_per_day,
                "night_allowance_fen_per_hour": night_allowance_fen_per_hour,
            },
        },
        key=cc_id,
        source="unions",
    )
    return cc_id


async def collective_ended(feed: EventFeed, collective_contract_id: str, ended_on: date, reason: str = "terminated"):
    await feed.untyped(
        ENDED,
        {"collective_contract_id": collective_contract_id, "ended_on": ended_on.isoformat(), "reason": reason},
        key=collective_contract_id,
        source="unions",
    )
