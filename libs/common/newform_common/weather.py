"""Bad-weather warnings as every service reads them (M8; the collective bad-weather allowance of M7):
the levels in their order, the kinds of weather, their Chinese words, and when a warning's window ends.

The warning itself is the emergency department's fact (the departments service states it; contracts,
wages and the gateway keep copies from its events); this module is the one reading of it, pure, so
that "red is worse than orange" and "a lifted warning ends when it is lifted" are said once.
Levels: 气象灾害预警信号发布与传播办法 (中国气象局令第16号): blue 一般, yellow 较重, orange 严重, red 特别严重.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar


class WarningLevel(enum.StrEnum):
    """A warning's level, mildest first (the order is the members' order)."""

    blue = "blue"
    yellow = "yellow"
    orange = "orange"
    red = "red"

    @property
    def rank(self) -> int:
        return list(WarningLevel).index(self)


class Hazard(enum.StrEnum):
    """The kind of weather a warning is for (Xining's winters make snow and ice the common case)."""

    snow = "snow"
    ice = "ice"
    rainstorm = "rainstorm"
    high_wind = "high_wind"
    heat = "heat"
    sandstorm = "sandstorm"


LEVEL_ZH: dict[str, str] = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
HAZARD_ZH: dict[str, str] = {
    "snow": "暴雪",
    "ice": "道路结冰",
    "rainstorm": "暴雨",
    "high_wind": "大风",
    "heat": "高温",
    "sandstorm": "沙尘暴",
}


def describe(level: str, hazard: str) -> str:
    """The warning's name as a person says it: 红色暴雪预警."""
    return f"{LEVEL_ZH.get(level, level)}{HAZARD_ZH.get(hazard, hazard)}预警"


def window_end(ends_at: datetime | None, cancelled_at: datetime | None) -> datetime | None:
    """When a warning's window ends: its announced end or its lifting (解除), whichever is earlier;
    None while it is in force with neither."""
    ends = [t for t in (ends_at, cancelled_at) if t is not None]
    return min(ends) if ends else None


T = TypeVar("T")


def severest(items: Iterable[T], level_of: Callable[[T], str]) -> T:
    """The item whose warning level is the highest (the first of equals)."""
    return max(items, key=lambda item: WarningLevel(level_of(item)).rank)
