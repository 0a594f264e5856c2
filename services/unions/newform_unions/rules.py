"""The policy's checks for unions, as pure functions over plain data.

Rejects return `Violation`s, findings return `FindingSpec`s, each citing its measure and legal
source (RULES.md lists them); numbers come from `get_policy().value(name, on=date)`, never from
literals. `RULES` lists every rule id this service can emit (checked against the gateway's credit
rules, routing and scorecards).
"""

from __future__ import annotations

from newform_common.findings import FindingSpec, RuleDef, Severity, Violation  # noqa: F401

RULES: tuple[RuleDef, ...] = ()
