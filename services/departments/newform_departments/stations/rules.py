"""Pure rules of the rest-station registry (M14): who may keep a station, when a station is open, how far
it is, and the finding an unhandled report becomes. No I/O."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from newform_common.findings import FindingSpec, RuleDef, Severity

MEASURE = "M14"
#: The policy parameters this registry reads (libs/common's policy data, each with its source).
KEEPERS = "routing.departments.M14"  # 宁政办〔2022〕41号 item 14 (责任单位)
HANDLING_DAYS = "stations.report_handling_days"  # a newform default (see RULES.md)
COUNTY = "county"
REPORT_OVERDUE = "M14.station_report_overdue"
KIND_ZH = {"closed": "未开放", "full": "已满", "broken": "设施损坏", "other": "其他"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EARTH_RADIUS_M = 6_371_000.0

RULES = (
    RuleDef(
        REPORT_OVERDUE,
        "finding",
        "A worker's report that a rest station was closed, full or broken was not handled by its keeper in time",
    ),
)


def keeper_refusal(
    department: str | None, district: str | None, station_district: str, keepers: Iterable[str]
) -> str | None:
    """Why this department may not keep a station in `station_district`, or None: the M14 units keep
    stations; a district government (`county`) only in its own district."""
    if department not in set(keepers):
        return f"Rest stations are kept by the M14 units ({', '.join(keepers)}); {department} is not one of them"
    if department == COUNTY and district != station_district:
        return f"A district government keeps stations in its own district ({district}), not in {station_district}"
    return None


def _time(value: str) -> time:
    return time.fromisoformat(value)


def open_at(hours: Mapping[str, Any], moment: datetime) -> bool:
    """Whether the weekly hours are open at `moment` (aware), read in the hours' own zone. An interval
    whose closing time is not after its opening runs past midnight into the next day (equal: 24 hours)."""
    if hours.get("always_open"):
        return True
    local = moment.astimezone(ZoneInfo(hours.get("timezone") or "Asia/Shanghai"))
    today, yesterday = WEEKDAYS[local.weekday()], WEEKDAYS[(local.weekday() - 1) % 7]
    now = local.time().replace(tzinfo=None)
    for interval in hours.get("weekly") or ():
        opens, closes, days = _time(interval["opens"]), _time(interval["closes"]), interval["days"]
        if opens < closes:
            if today in days and opens <= now < closes:
                return True
        elif (today in days and now >= opens) or (yesterday in days and now < closes):
            return True
    return False


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (the repository computes the same in SQL to sort)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def keeper_department(keeper: str) -> str:
    """`county:chengxi` → `county`; `urban` → `urban`."""
    return keeper.split(":", 1)[0]


def report_overdue(
    report_id: str,
    station_id: str,
    station_name: str,
    keeper: str,
    kind: str,
    reported_at: datetime,
    due_at: datetime,
    handling_days: int,
) -> FindingSpec:
    """A report not handled by its due time (M14): the keeper did not look after a station workers rely on.
    The keeper is named as responsible — a city department, or a district government as `county:<d>` —
    so the gateway routes the finding to it alone."""
    evidence: dict[str, Any] = {
        "report_id": report_id,
        "station_id": station_id,
        "station_name": station_name,
        "keeper": keeper,
        "report_kind": kind,
        "reported_at": reported_at.isoformat(),
        "due_at": due_at.isoformat(),
        "handling_days": handling_days,
        "date": reported_at.date().isoformat(),
    }
    evidence["responsible_department"] = keeper
    return FindingSpec(
        measure=MEASURE,
        rule=REPORT_OVERDUE,
        severity=Severity.medium,
        summary=f"驿站「{station_name}」的报告（{KIND_ZH.get(kind, kind)}）未在{handling_days}日内处理（M14）",
        evidence=evidence,
    )


def handling_start(reported_at: datetime) -> date:
    """The day a handling period counts from: the report's business day (Asia/Shanghai)."""
    return reported_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
