"""Every rule id this service can emit (`RULES`, read by the kit's `rule_catalogue` under this module's
name and checked against the gateway's credit rules, routing and scorecards), and what the
aggregates' rules share: a finding about a dispute body's own lateness.

The checks themselves are pure functions in each aggregate's `rules.py` (`complaints`, `cases`,
`roster`, `arbitration`); rejects return `Violation`s, findings return `FindingSpec`s; numbers and
vocabularies come from `get_policy().value(name, on=date)`, never from literals (the periods are
in `clocks.py`).
"""

from __future__ import annotations

from typing import Any

from newform_common.findings import RuleDef

#: Measures an escalated complaint can become an enforcement clue under (the policy's
#: `disputes.escalation.measure_by_category` picks one per category; a test keeps them in step).
ESCALATION_MEASURES = ("M5", "M6", "M7", "M8", "M9", "M10", "M20")

RULES: tuple[RuleDef, ...] = (
    RuleDef(
        "M10.complaint_reply_overdue", "finding", "A platform did not answer a worker's complaint within the reply time"
    ),
    *(
        RuleDef(
            f"{m}.complaint_escalated",
            "finding",
            f"A worker escalated a complaint to the departments as an enforcement clue ({m})",
        )
        for m in ESCALATION_MEASURES
    ),
    RuleDef(
        "M18.mediation_acceptance_overdue",
        "finding",
        "A mediation application was not accepted within the acceptance time (working days)",
    ),
    RuleDef("M18.agreement_unfulfilled", "finding", "A mediation agreement was not fulfilled by its date"),
    RuleDef(
        "M18.arbitration_acceptance_overdue",
        "finding",
        "An arbitration application was neither accepted nor refused within the acceptance time",
    ),
    RuleDef("M18.award_overdue", "finding", "No arbitration award within the award limit (suspensions excluded)"),
    RuleDef(
        "M18.mediator_not_reassigned",
        "finding",
        "An open mediation left without a fit mediator (deactivated, term ended) was not given one in time",
    ),
    RuleDef(
        "M1.misclassification_question",
        "finding",
        "A dispute's facts contradict the declared work agreement or civil contract",
    ),
    RuleDef("M18.mediation_extension_once", "reject", "Mediation is extended only once"),
    RuleDef("M18.mediation_extension_limit", "reject", "Mediation is extended by at most the policy's days"),
    RuleDef("M18.mediation_extension_consent", "reject", "Extending mediation needs both parties' consent"),
    RuleDef("M18.award_extension_once", "reject", "The award limit is extended only once"),
    RuleDef("M18.award_extension_limit", "reject", "The award limit is extended by at most the policy's days"),
    RuleDef(
        "M18.classified_handling",
        "reject",
        "Labour arbitration is for labour relationships; work agreements and civil contracts go to "
        "people's mediation or the court, unless the misclassification question is raised",
    ),
)


#: Who answers for a clock a dispute body itself lets run out: the department it sits with. Such a
#: finding is about the body, not the platform: the gateway routes it to that department alone
#: (`evidence.responsible_department`), never to the platform's webhooks or its sector regulators.
ARBITRATION_COMMITTEE = "arbitration_committee"
MEDIATION_BODY = "mediation_body"


def about_body(evidence: dict[str, Any], department: str) -> dict[str, Any]:
    """A body-lateness finding's evidence names the department that answers for the body."""
    return {**evidence, "responsible_department": department}
