"""Which department holds which facts, and the checks every fact passes before it is stored.

Pure functions over plain data. A department writes only the facts its own registry holds (the
measures' 责任单位): hrss the labour-dispatch licences, labour-inspection results, arbitration
outcomes and social-insurance enrolment; medins medical insurance and enrolment it collects; market
enterprise registration and qualification; the court its judgments. Anything else is refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from newform_common.findings import RuleDef

from .stations.rules import RULES as STATION_RULES

#: Facts raise no findings here: the services that judge (contracts, wages, disputes) use them in their own
#: rules and cite them as the finding's `source`. The one finding of this service is the rest-station
#: registry's (M14: a worker's report its keeper left unhandled, stations/rules.py).
RULES: tuple[RuleDef, ...] = (*STATION_RULES,)

#: Kinds of fact, their URL segment and who holds them.
KINDS: dict[str, str] = {
    "insurance_enrolment": "insurance-enrolments",
    "dispatch_licence": "dispatch-licences",
    "enterprise_record": "enterprise-records",
    "inspection_result": "inspection-results",
    "case_outcome": "case-outcomes",
    "household_registration": "household-registrations",
    "job_seeking_registration": "job-seeking-registrations",
    "weather_warning": "weather-warnings",
}

HOLDERS: dict[str, tuple[str, ...]] = {
    "insurance_enrolment": ("hrss", "medins"),
    "dispatch_licence": ("hrss",),
    "enterprise_record": ("market",),
    "inspection_result": ("hrss",),
    "case_outcome": ("hrss", "court"),
    # 户籍 is public security's register (户口登记条例 art. 3); job-seeking registration is the public
    # employment service's (就业服务与就业管理规定 art. 63), hrss's. Both decide M13's training places.
    "household_registration": ("police",),
    "job_seeking_registration": ("hrss",),
    # Bad-weather warnings (M8): the emergency department records them for the city, the meteorological
    # service's signals (气象灾害预警信号发布与传播办法, 中国气象局令第16号) reaching it; M8 names emergency.
    "weather_warning": ("emergency",),
}

#: Social insurance by type: who keeps the enrolment register. Medical insurance is medins's alone;
#: pension and unemployment hrss's; work injury and occupational-injury protection both report.
INSURANCE_HOLDERS: dict[str, tuple[str, ...]] = {
    "work_injury": ("hrss", "medins"),
    "occupational_injury": ("hrss", "medins"),
    "pension": ("hrss",),
    "unemployment": ("hrss",),
    "medical": ("medins",),
}

#: Which department decides in which forum: labour arbitration is hrss's commission, judgments the court's.
FORUM_HOLDERS = {"arbitration": "hrss", "court": "court"}


@dataclass(frozen=True)
class Refusal:
    """Why one fact is not stored: a problem type, the field at fault, and a sentence."""

    type: str
    message: str
    field: str | None = None


def outside_scope(department: str | None, kind: str, item: dict[str, Any]) -> Refusal | None:
    """A write outside what the department holds (kind, insurance type, forum)."""
    holders = HOLDERS[kind]
    if department not in holders:
        return Refusal("outside-department-scope", f"{kind} facts are held by {', '.join(holders)}, not {department}")
    if kind == "insurance_enrolment":
        allowed = INSURANCE_HOLDERS.get(item.get("insurance_type", ""), ())
        if department not in allowed:
            return Refusal(
                "outside-department-scope",
                f"{item.get('insurance_type')} enrolment is held by {', '.join(allowed)}, not {department}",
                "insurance_type",
            )
    forum_holder = FORUM_HOLDERS.get(item.get("forum", ""))
    if kind == "case_outcome" and forum_holder != department:
        return Refusal(
            "outside-department-scope",
            f"{item.get('forum')} outcomes are reported by {forum_holder}, not {department}",
            "forum",
        )
    return None


def date_range(
    start: date | datetime | None, end: date | datetime | None, start_name: str, end_name: str
) -> Refusal | None:
    """A range that ends before it starts."""
    if start is not None and end is not None and end < start:
        return Refusal(
            "invalid-date-range",
            f"{end_name} ({end.isoformat()}) is before {start_name} ({start.isoformat()})",
            end_name,
        )
    return None


def date_ranges(kind: str, item: object) -> Refusal | None:
    """Every date range a kind of fact carries, first problem only."""
    checks = {
        "insurance_enrolment": [("start_date", "end_date")],
        "dispatch_licence": [("valid_from", "valid_until"), ("valid_from", "revoked_on")],
        "enterprise_record": [("valid_from", "valid_until")],
        "inspection_result": [("inspected_on", "ordered_to_pay_by")],
        "case_outcome": [("filed_on", "decided_on")],
        "household_registration": [("registered_on", "moved_out_on")],
        "job_seeking_registration": [("registered_on", "ended_on")],
        "weather_warning": [("starts_at", "ends_at")],
    }[kind]
    for start, end in checks:
        refusal = date_range(getattr(item, start), getattr(item, end), start, end)
        if refusal:
            return refusal
    return None


def order_to_pay(item: object, established_on: date) -> Refusal | None:
    """An order to pay stated as ignored needs its deadline, and the deadline must have passed on the day the
    department established it (逾期未支付 is known only after the deadline; 人力资源社会保障部令第45号 art. 5)."""
    if not getattr(item, "order_ignored", False):
        return None
    # Only an inspection result states an order ignored, and it always has the field.
    due: date | None = getattr(item, "ordered_to_pay_by", None)
    if due is None:
        return Refusal("invalid-line", "an order stated as ignored needs its deadline", "ordered_to_pay_by")
    if due >= established_on:
        return Refusal(
            "invalid-date-range",
            f"an order due {due.isoformat()} cannot be known ignored on {established_on.isoformat()}",
            "order_ignored",
        )
    return None


def licence_valid_until(valid_until: date, revoked_on: date | None) -> date:
    """The last day a dispatch licence is valid: its expiry, or the day before its revocation."""
    if revoked_on is not None:
        return min(valid_until, date.fromordinal(revoked_on.toordinal() - 1))
    return valid_until
