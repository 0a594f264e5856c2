"""The rules of the contracts service: every rule id it can emit, gathered from the aggregates' rules.

Each rule has an id `M<n>.<name>` naming the measure of 宁政办〔2022〕41号 it serves (see
services/contracts/RULES.md). Rejects return a `Violation` (the request is refused, nothing is stored);
findings return `FindingSpec`s (the fact is accepted and flagged for the regulator). The checks are pure
functions beside their aggregate: `contracts/terms.py` (rejects on a contract's terms, M3/M5/M6),
`classification/rules.py` (M1/M2), `contracts/rules.py` (findings on a contract, M1/M3/M9),
`restrictions/rules.py` (M5), `rules_register/rules.py` (M10), `verified/rules.py` (departments' facts,
M3/M9), `safety/rules.py` (bad-weather responses, M8; the rule register's safety indicators are in
`rules_register/rules.py`). Numbers come from the policy (`get_policy()`), never from literals.
"""

from __future__ import annotations

from newform_common.findings import FindingSpec, RuleDef, Severity, Violation  # noqa: F401 (re-exported)

from .classification import rules as classification
from .contracts import rules as contracts
from .contracts import terms
from .restrictions import rules as restrictions
from .rules_register import rules as rules_register
from .safety import rules as safety
from .verified import rules as verified

#: Every rule id this service can emit: the checked vocabulary (`newform_common.findings.rule_catalogue`).
RULES: tuple[RuleDef, ...] = (
    *terms.REJECTS,
    *classification.RULES,
    *contracts.RULES,
    *terms.FINDINGS,
    *restrictions.RULES,
    *rules_register.RULES,
    *verified.RULES,
    *safety.RULES,
)
