"""Who receives an alert (M16 joint governance): pure functions over the policy.

An alert under measure M goes to exactly the responsible units the policy names for M
(`routing.departments.M*`, the catalogue's table), plus the sector regulator(s) of the worker's
occupation (`routing.sector_regulators`), plus the government of the district where it happened.

Department keys: a city department is its code (`hrss`, `market`, ...). The catalogue's `county`
("各县区人民政府, one per district/county") is resolved to one government, `county:<district>`
(e.g. `county:chengxi`). Only when a finding names no district does the bare `county` stay (all
district governments). A department token for a district government carries
`department="county"` and `district=<code>` and so acts as `county:<code>`.
"""

from __future__ import annotations

from datetime import date, datetime

from newform_common.auth import Principal
from newform_common.policy import Policy, PolicyNotInForce, get_policy

COUNTY = "county"


def county_key(district: str) -> str:
    return f"{COUNTY}:{district}"


def policy_date(policy: Policy, on: date | datetime) -> date | datetime:
    """The fact's date, or the measures' first day for a fact older than them (still routed, under
    the closest version, rather than lost). After the measures lapse they apply provisionally."""
    try:
        policy.measures_status(on)
        return on
    except PolicyNotInForce:
        first = policy.series()[policy.measures_series][0] if policy.measures_series else policy.versions()[0]
        return first.valid_from


def departments_for(measure: str, *, occupation: str | None, district: str | None, on: date | datetime,
                    policy: Policy | None = None) -> list[str]:
    """Department keys an alert under `measure` is routed to (M16), in the policy's order, no duplicates."""
    policy = policy or get_policy()
    on = policy_date(policy, on)
    keys: list[str] = []

    def add(key: str) -> None:
        if key not in keys:
            keys.append(key)

    for code in policy.departments_for_measure(measure, on):
        add(county_key(district) if code == COUNTY and district else code)
    if occupation:
        try:
            for code in policy.sector_regulators(occupation, on):
                add(code)
        except KeyError:
            pass  # an occupation the policy does not list has no sector regulator
    if district:
        add(county_key(district))
    return keys


def department_key(principal: Principal) -> str | None:
    """The routing key a department token acts as (`hrss`, or `county:<district>`); None if unusable."""
    if not principal.department:
        return None
    if principal.department == COUNTY:
        return county_key(principal.district) if principal.district else None
    return principal.department
