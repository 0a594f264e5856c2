"""Collective contracts as the services that judge facts against them see them (pure, no I/O): who a
collective contract binds and from when to when, and its agreed standards (劳动合同法 arts. 54, 55;
the measures items 6, 7, 17). Wages and contracts each keep their own copy of the contracts the unions
service puts in force (`unions.collective_contract.in_force.v1`, `.ended.v1`); both read it through
this one type.

A collective contract binds from the later of its agreed start (`effective_from`) and its entry into
force (`in_force_on`: hrss raised no objection within 15 days, 劳动合同法 art. 54), through
`effective_until`, and through the day it ended (`ended_on`, unions' word: the last day it applied;
expired, terminated or superseded).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class PieceRate:
    occupation: str
    order_type: str
    min_rate_fen: int


@dataclass(frozen=True)
class AgreedQuota:
    occupation: str
    max_orders_per_day: int


@dataclass(frozen=True)
class Collective:
    """A collective contract's coverage, dates and agreed standards."""

    collective_contract_id: str
    platform_ids: frozenset[str]
    districts: frozenset[str]  # empty: every district
    occupations: frozenset[str]  # empty: every occupation
    effective_from: date
    effective_until: date | None
    in_force_on: date
    piece_rates: tuple[PieceRate, ...] = ()
    quotas: tuple[AgreedQuota, ...] = ()
    night_allowance_fen_per_hour: int | None = None
    bad_weather_allowance_fen_per_day: int | None = None
    ended_on: date | None = None

    @property
    def binds_from(self) -> date:
        return max(self.effective_from, self.in_force_on)

    @property
    def binds_until(self) -> date | None:
        """The last day it binds (None: open-ended)."""
        ends = [d for d in (self.effective_until, self.ended_on) if d is not None]
        return min(ends) if ends else None

    def in_force(self, day: date) -> bool:
        until = self.binds_until
        return self.binds_from <= day and (until is None or day <= until)

    def overlaps(self, start: date, end: date | None) -> bool:
        """In force on some day from `start` through `end` (None: open-ended)."""
        until = self.binds_until
        return (until is None or start <= until) and (end is None or self.binds_from <= end)

    def covers(self, platform_id: str, occupation: str | None, district: str | None) -> bool:
        return (
            platform_id in self.platform_ids
            and (not self.occupations or occupation in self.occupations)
            and (not self.districts or district in self.districts)
        )

    def lowest_piece_rate(self, occupation: str) -> int | None:
        """The lowest agreed piece rate of an occupation, whatever the order type (None: none agreed)."""
        rates = [r.min_rate_fen for r in self.piece_rates if r.occupation == occupation]
        return min(rates) if rates else None

    def min_rate(self, occupation: str, order_type: str) -> int | None:
        """The agreed minimum piece rate of an occupation and order type (None: none agreed)."""
        rates = [r.min_rate_fen for r in self.piece_rates if (r.occupation, r.order_type) == (occupation, order_type)]
        return max(rates) if rates else None

    def max_orders(self, occupation: str) -> int | None:
        """The agreed labour quota of an occupation (the lowest when several are listed)."""
        quotas = [q.max_orders_per_day for q in self.quotas if q.occupation == occupation]
        return min(quotas) if quotas else None


def collective_of(row: Mapping[str, Any]) -> Collective:
    """A stored collective contract (or an in-force event's data) as the rules see it."""
    terms = row.get("terms") or {}
    return Collective(
        collective_contract_id=row["collective_contract_id"],
        platform_ids=frozenset(row["platform_ids"]),
        districts=frozenset(row["districts"]),
        occupations=frozenset(row["occupations"]),
        effective_from=row["effective_from"],
        effective_until=row["effective_until"],
        in_force_on=row["in_force_on"],
        piece_rates=tuple(
            PieceRate(p["occupation"], p["order_type"], p["min_rate_fen"]) for p in terms.get("piece_rates", [])
        ),
        quotas=tuple(AgreedQuota(q["occupation"], q["max_orders_per_day"]) for q in terms.get("quotas", [])),
        night_allowance_fen_per_hour=terms.get("night_allowance_fen_per_hour"),
        bad_weather_allowance_fen_per_day=terms.get("bad_weather_allowance_fen_per_day"),
        ended_on=row.get("ended_on"),
    )


def binding(
    collectives: Iterable[Collective], platform_id: str, occupation: str | None, district: str | None, on: date
) -> list[Collective]:
    """The collective contracts in force on `on` that cover this platform, occupation and district."""
    return [c for c in collectives if c.in_force(on) and c.covers(platform_id, occupation, district)]


def binding_over(
    collectives: Iterable[Collective],
    platform_id: str,
    occupation: str | None,
    district: str | None,
    start: date,
    end: date | None,
) -> list[Collective]:
    """The collective contracts covering this platform, occupation and district in force on some day of the
    term from `start` through `end`."""
    return [c for c in collectives if c.covers(platform_id, occupation, district) and c.overlaps(start, end)]
