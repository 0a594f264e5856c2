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

A finding about a public body's own conduct — a mediation body or the arbitration committee letting
its legal time run out (M18) — names the department that answers for that body
(`evidence.responsible_department`, e.g. `hrss` for the labour arbitration committee; a district
government as `county:<district>`, e.g. the keeper of a rest station, M14). It goes to
that department alone, which decides it: not to the measure's other units, not to the sector
regulators of the worker's occupation, and never to the platform's webhooks (the platform is a party
to the dispute, not the subject of the finding).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from newform_common import vocabulary
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


RESPONSIBLE = "responsible_department"


def responsible_department(
    evidence: Mapping[str, Any] | None, on: date | datetime, policy: Policy | None = None
) -> str | None:
    """The department a finding names as answering for the body it is about (a code the policy's
    department vocabulary knows, or a district government as `county:<district>` of a known district),
    or None: an ordinary finding, routed by measure."""
    value = (evidence or {}).get(RESPONSIBLE)
    if not isinstance(value, str) or value == COUNTY:  # a bare county is no one (module docstring)
        return None
    policy = policy or get_policy()
    try:
        on = policy_date(policy, on)
        if value.startswith(f"{COUNTY}:"):
            return value if value.split(":", 1)[1] in vocabulary.districts(on) else None
        return value if value in policy.departments(on) else None
    except (KeyError, PolicyNotInForce):
        return None


def alert_responsible(evidence: Sequence[Mapping[str, Any]] | None) -> str | None:
    """The responsible department of an alert, from its first finding's evidence (as routed)."""
    first = (evidence or [None])[0]
    inner = first.get("evidence") if isinstance(first, Mapping) else None
    value = inner.get(RESPONSIBLE) if isinstance(inner, Mapping) else None
    return value if isinstance(value, str) else None


def departments_for(
    measure: str,
    *,
    occupation: str | None = None,
    district: str | None,
    on: date | datetime,
    policy: Policy | None = None,
    occupations: Sequence[str] = (),
    responsible: str | None = None,
) -> list[str]:
    """Department keys an alert under `measure` is routed to (M16), in the policy's order, no duplicates:
    the first is the lead department. `occupation` and `occupations` add their sector regulators. A
    finding about a body names its `responsible` department: that one alone."""
    if responsible:
        return [responsible]
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


def lead_department(
    measure: str,
    *,
    district: str | None,
    on: date | datetime,
    policy: Policy | None = None,
    responsible: str | None = None,
) -> str | None:
    """The department that decides an alert under `measure`: the first unit the policy lists for it
    (a district government as `county:<district>`; None if that is a district government and the
    district is unknown) — or, for a finding about a body, the department responsible for it."""
    if responsible:
        return responsible
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
