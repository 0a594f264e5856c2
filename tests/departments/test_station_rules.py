"""The registry's pure rules (M14): opening hours read in their zone, distances, who keeps a station."""

from __future__ import annotations

from datetime import UTC, datetime

from newform_departments.stations.rules import haversine_m, keeper_refusal, open_at

KEEPERS = ["drc", "housing", "construction", "transport", "urban", "county"]
DAY = {"weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "08:00", "closes": "20:00"}]}
NIGHT = {"weekly": [{"days": ["fri"], "opens": "22:00", "closes": "06:00"}]}


def test_hours_are_read_in_asia_shanghai_and_may_run_past_midnight():
    # Monday 2026-12-07 00:30 UTC is 08:30 in Xining: open; 12:30 UTC is 20:30 there: closed.
    assert open_at(DAY, datetime(2026, 12, 7, 0, 30, tzinfo=UTC))
    assert not open_at(DAY, datetime(2026, 12, 7, 12, 30, tzinfo=UTC))
    assert not open_at(DAY, datetime(2026, 12, 5, 2, 0, tzinfo=UTC))  # Saturday 10:00
    # Friday 22:00 to Saturday 06:00.
    assert open_at(NIGHT, datetime(2026, 12, 4, 15, 0, tzinfo=UTC))  # Fri 23:00
    assert open_at(NIGHT, datetime(2026, 12, 4, 21, 0, tzinfo=UTC))  # Sat 05:00
    assert not open_at(NIGHT, datetime(2026, 12, 5, 15, 0, tzinfo=UTC))  # Sat 23:00
    assert open_at({"always_open": True}, datetime(2026, 12, 5, 15, 0, tzinfo=UTC))


def test_distance_and_keepers():
    assert round(haversine_m(36.6, 101.7, 36.601, 101.7)) == 111
    assert keeper_refusal("urban", None, "chengxi", KEEPERS) is None
    assert keeper_refusal("hrss", None, "chengxi", KEEPERS)
    assert keeper_refusal("county", "chengbei", "chengbei", KEEPERS) is None
    assert keeper_refusal("county", "chengbei", "chengxi", KEEPERS)
