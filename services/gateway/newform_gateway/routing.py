"""Who receives an alert (M16 joint governance): pure functions over the policy.

An alert under measure M goes to exactly the responsible units the policy names for M
(`routing.departments.M*`, the catalogue's table), plus the sector regulator(s) of the occupation(s)
concerned (`routing.sector_regulators`). The first unit the policy lists is the measure's lead
department: it decides the alert; the others acknowledge and comment (`lead_department`).

Department keys: a city department is its code (`hrss`, `market`, ...). The catalogue's `county`
("各县区人民政府, one per district/county") is resolved to one government, `county:<district>`
(e.g. `county:chengxi`), and only for measures whose units include it (M16 names city departments
only). No bare `county` is ever routed: no token or webhook can receive it, so a finding whose district
the gateway cannot tell reaches the city departments only (alerts.py finds the district of a platform
or an enterprise from its registration). A department token for a district government carries
`department="county"` and `district=<code>` and so acts as `county:<code>`.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def departments_for(measure: str, *, occupation: str | None = None, district: str | None, on: date | datetime,
                    policy: Policy | None = None, occupations: Sequence[str] = ()) -> list[str]:
    """Department keys an alert under `measure` is routed to (M16), in the policy's order, no duplicates:
    the first is the lead department. `occupation` and `occupations` add their sector regulators."""
    policy = policy or get_policy()
    on = policy_date(policy, on)
    keys: list[str] = []

    def add(key: str) -> None:
        if key not in keys:
            keys.append(key)

    for code in policy.departments_for_measure(measure, on):
        if code != COUNTY:
            add(code)
        elif district:
            add(county_key(district))
    for occ in [occupation, *occupations]:
        if not occ:
            continue
        try:
            for code in policy.sector_regulators(occ, on):
                add(code)
        except KeyError:
            pass  # an occupation the policy does not list has no sector regulator
    return keys


def lead_department(measure: str, *, district: str | None, on: date | datetime,
                    policy: Policy | None = None) -> str | None:
    """The department that decides an alert under `measure`: the first unit the policy lists for it
    (a district government as `county:<district>`; None if that is a district government and the
    district is unknown)."""
    policy = policy or get_policy()
    try:
        first = policy.departments_for_measure(measure, policy_date(policy, on))[0]
    except (KeyError, IndexError):
        return None  # a measure the policy in force does not route: nobody decides it (the regulator sees it)
    if first != COUNTY:
        return first
    return county_key(district) if district else None


def department_key(principal: Principal) -> str | None:
    """The routing key a department token acts as (`hrss`, or `county:<district>`); None if unusable."""
    if not principal.department:
        return None
    if principal.department == COUNTY:
        return county_key(principal.district) if principal.district else None
    return principal.department
