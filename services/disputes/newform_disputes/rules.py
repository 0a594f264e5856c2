"""The policy's checks for disputes, as pure functions over plain data.

Rejects return `Violation`s, findings return `FindingSpec`s; numbers and vocabularies come from
`get_policy().value(name, on=date)`, never from literals (the clocks are in `clocks.py`). `RULES`
lists every rule id this service can emit (checked against the gateway's credit rules, routing
and scorecards).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from newform_common.findings import FindingSpec, RuleDef, Severity, Violation
from newform_common.policy import get_policy

Track = Literal["labour_arbitration", "people_mediation_court"]

#: Measures an escalated complaint can become an enforcement clue under (the policy's
#: `disputes.escalation.measure_by_category` picks one per category; a test keeps them in step).
ESCALATION_MEASURES = ("M5", "M6", "M7", "M8", "M9", "M10", "M20")

RULES: tuple[RuleDef, ...] = (
    RuleDef("M10.complaint_reply_overdue", "finding",
            "A platform did not answer a worker's complaint within the reply time"),
    *(RuleDef(f"{m}.complaint_escalated", "finding",
              f"A worker escalated a complaint to the departments as an enforcement clue ({m})")
      for m in ESCALATION_MEASURES),
    RuleDef("M18.mediation_acceptance_overdue", "finding",
            "A mediation application was not accepted within the acceptance time (working days)"),
    RuleDef("M18.agreement_unfulfilled", "finding", "A mediation agreement was not fulfilled by its date"),
    RuleDef("M18.arbitration_acceptance_overdue", "finding",
            "An arbitration application was neither accepted nor refused within the acceptance time"),
    RuleDef("M18.award_overdue", "finding", "No arbitration award within the award limit (suspensions excluded)"),
    RuleDef("M1.misclassification_question", "finding",
            "A dispute's facts contradict the declared work agreement or civil contract"),
    RuleDef("M18.mediation_extension_once", "reject", "Mediation is extended only once"),
    RuleDef("M18.mediation_extension_limit", "reject", "Mediation is extended by at most the policy's days"),
    RuleDef("M18.mediation_extension_consent", "reject", "Extending mediation needs both parties' consent"),
    RuleDef("M18.award_extension_once", "reject", "The award limit is extended only once"),
    RuleDef("M18.award_extension_limit", "reject", "The award limit is extended by at most the policy's days"),
    RuleDef("M18.classified_handling", "reject",
            "Labour arbitration is for labour relationships; work agreements and civil contracts go to "
            "people's mediation or the court, unless the misclassification question is raised"),
)


def categories(on: date) -> dict[str, str]:
    """Complaint categories (code → Chinese name) in force on `on`."""
    return dict(get_policy().value("disputes.complaint.categories", on=on))


def identity_masked(category: str, wants_masked: bool, on: date) -> bool:
    """M10: the complainant is hidden from the platform when they ask and the category allows it
    (a pay claim cannot be remedied without knowing whose pay)."""
    return wants_masked and category in get_policy().value("disputes.complaint.masked_categories", on=on)


def escalation_measure(category: str, on: date) -> str:
    """M20: the measure under which an escalated complaint becomes an enforcement clue."""
    return str(get_policy().value("disputes.escalation.measure_by_category", on=on)[category])


def track_of(engagement_type: str | None) -> Track:
    """M18 classified handling: a labour relationship goes to labour arbitration; a work agreement
    or a civil contract to people's mediation and the court. No engagement on record: arbitration
    decides first whether there is a labour relationship."""
    return "people_mediation_court" if engagement_type in ("work_agreement", "civil") else "labour_arbitration"


def reply_overdue(category: str, reply_due_on: date) -> FindingSpec:
    return FindingSpec("M10", "M10.complaint_reply_overdue", Severity.medium,
                       f"平台未在答复期限（{reply_due_on.isoformat()}）内答复劳动者投诉",
                       {"category": category, "reply_due_on": reply_due_on.isoformat()})


def complaint_escalated(category: str, on: date, *, reply_overdue: bool, answered: bool) -> FindingSpec:
    measure = escalation_measure(category, on)
    name = categories(on).get(category, category)
    return FindingSpec(measure, f"{measure}.complaint_escalated", Severity.medium,
                       f"劳动者就“{name}”投诉向主管部门反映（执法线索）",
                       {"category": category, "platform_answered": answered, "reply_overdue": reply_overdue})


def mediation_acceptance_overdue(received_on: date, due_on: date) -> FindingSpec:
    return FindingSpec("M18", "M18.mediation_acceptance_overdue", Severity.medium,
                       f"调解申请未在{due_on.isoformat()}前受理",
                       {"received_on": received_on.isoformat(), "due_on": due_on.isoformat()})


def agreement_unfulfilled(fulfil_by: date, amount_fen: int | None) -> FindingSpec:
    return FindingSpec("M18", "M18.agreement_unfulfilled", Severity.high,
                       f"调解协议未在约定日期（{fulfil_by.isoformat()}）前履行",
                       {"fulfil_by": fulfil_by.isoformat(), "amount_fen": amount_fen})


def arbitration_acceptance_overdue(received_on: date, due_on: date) -> FindingSpec:
    return FindingSpec("M18", "M18.arbitration_acceptance_overdue", Severity.medium,
                       f"仲裁申请未在{due_on.isoformat()}前作出受理或不予受理决定",
                       {"received_on": received_on.isoformat(), "due_on": due_on.isoformat()})


def award_overdue(accepted_on: date, due_at_date: date, extension_days: int) -> FindingSpec:
    return FindingSpec("M18", "M18.award_overdue", Severity.high,
                       f"劳动争议仲裁案件超过审理期限（{due_at_date.isoformat()}）未作出裁决",
                       {"accepted_on": accepted_on.isoformat(), "due_on": due_at_date.isoformat(),
                        "extension_days": extension_days})


def misclassification_question(engagement_type: str | None, facts: list[str], on: date) -> FindingSpec | None:
    """M1: a work agreement or civil contract whose dispute facts show the elements of a labour
    relationship raises the question for the arbitrator or the court."""
    if engagement_type not in ("work_agreement", "civil"):
        return None
    policy = get_policy()
    indicators = set(policy.value("disputes.misclassification.labour_indicators", on=on))
    present = sorted(indicators & set(facts))
    if len(present) < int(policy.value("disputes.misclassification.threshold", on=on)):
        return None
    return FindingSpec("M1", "M1.misclassification_question", Severity.high,
                       "争议事实符合劳动关系认定条件，但用工按非劳动关系订立，提请仲裁或法院认定",
                       {"engagement_type": engagement_type, "labour_facts": present})


def arbitration_track_violation(track: Track, misclassification: bool) -> Violation | None:
    if track == "labour_arbitration" or misclassification:
        return None
    return Violation("M18", "M18.classified_handling",
                     "This dispute is under a work agreement or civil contract: it goes to people's mediation or "
                     "the court, not labour arbitration (unless its facts raise the misclassification question)")
