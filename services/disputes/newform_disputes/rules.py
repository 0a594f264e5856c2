"""The policy's checks for disputes, as pure functions over plain data.

Rejects return `Violation`s, findings return `FindingSpec`s; numbers and vocabularies come from
`get_policy().value(name, on=date)`, never from literals (the clocks are in `clocks.py`). `RULES`
lists every rule id this service can emit (checked against the gateway's credit rules, routing
and scorecards).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from newform_common.findings import FindingSpec, RuleDef, Severity, Violation
from newform_common.policy import get_policy

Track = Literal["labour_arbitration", "people_mediation_court"]

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
    return FindingSpec(
        "M10",
        "M10.complaint_reply_overdue",
        Severity.medium,
        f"平台未在答复期限（{reply_due_on.isoformat()}）内答复劳动者投诉",
        {"category": category, "reply_due_on": reply_due_on.isoformat()},
    )


def complaint_escalated(category: str, on: date, *, reply_overdue: bool, answered: bool) -> FindingSpec:
    measure = escalation_measure(category, on)
    name = categories(on).get(category, category)
    return FindingSpec(
        measure,
        f"{measure}.complaint_escalated",
        Severity.medium,
        f"劳动者就“{name}”投诉向主管部门反映（执法线索）",
        {"category": category, "platform_answered": answered, "reply_overdue": reply_overdue},
    )


#: Who answers for a clock a dispute body itself lets run out: the department it sits with. Such a
#: finding is about the body, not the platform: the gateway routes it to that department alone
#: (`evidence.responsible_department`), never to the platform's webhooks or its sector regulators.
ARBITRATION_COMMITTEE = "arbitration_committee"
MEDIATION_BODY = "mediation_body"


def _body(evidence: dict, department: str) -> dict:
    return {**evidence, "responsible_department": department}


def mediation_acceptance_overdue(received_on: date, due_on: date, department: str) -> FindingSpec:
    return FindingSpec(
        "M18",
        "M18.mediation_acceptance_overdue",
        Severity.medium,
        f"调解组织未在{due_on.isoformat()}前受理调解申请",
        _body({"received_on": received_on.isoformat(), "due_on": due_on.isoformat()}, department),
    )


def mediator_not_reassigned(since: date, due_on: date, department: str) -> FindingSpec:
    return FindingSpec(
        "M18",
        "M18.mediator_not_reassigned",
        Severity.medium,
        f"调解员退出名册后，调解组织未在{due_on.isoformat()}前为案件另行指派调解员",
        _body({"without_mediator_since": since.isoformat(), "due_on": due_on.isoformat()}, department),
    )


def agreement_unfulfilled(fulfil_by: date, amount_fen: int | None) -> FindingSpec:
    return FindingSpec(
        "M18",
        "M18.agreement_unfulfilled",
        Severity.high,
        f"调解协议未在约定日期（{fulfil_by.isoformat()}）前履行",
        {"fulfil_by": fulfil_by.isoformat(), "amount_fen": amount_fen},
    )


def arbitration_acceptance_overdue(received_on: date, due_on: date, department: str) -> FindingSpec:
    return FindingSpec(
        "M18",
        "M18.arbitration_acceptance_overdue",
        Severity.medium,
        f"劳动人事争议仲裁委员会未在{due_on.isoformat()}前作出受理或不予受理决定",
        _body({"received_on": received_on.isoformat(), "due_on": due_on.isoformat()}, department),
    )


def award_overdue(accepted_on: date, due_at_date: date, extension_days: int, department: str) -> FindingSpec:
    return FindingSpec(
        "M18",
        "M18.award_overdue",
        Severity.high,
        f"劳动人事争议仲裁委员会超过审理期限（{due_at_date.isoformat()}）未作出裁决",
        _body(
            {
                "accepted_on": accepted_on.isoformat(),
                "due_on": due_at_date.isoformat(),
                "extension_days": extension_days,
            },
            department,
        ),
    )


# ---------------------------------------------------------------------------------------------
# Leaving mediation; finality of an award
# ---------------------------------------------------------------------------------------------
def may_apply_for_arbitration(
    stage: str, *, arbitration_open_from: date | None, fulfil_by: date | None, on: date
) -> bool:
    """M18 (劳动争议调解仲裁法 arts. 5, 14, 15): mediation is voluntary, never a condition of arbitration.

    A worker may apply without any mediation (a case opened for arbitration), after withdrawing, when
    mediation ended without agreement, once 15 days from the mediation body's receipt of the
    application passed without agreement (`arbitration_open_from`, whether or not it accepted it), or
    when an agreement was not fulfilled by its date — whichever comes first."""
    if stage in ("no_agreement", "withdrawn"):
        return True
    if stage in ("received", "mediating"):
        return arbitration_open_from is not None and on >= arbitration_open_from
    if stage == "agreement":
        return fulfil_by is not None and on > fulfil_by
    return False


FinalityKind = Literal["final_up_to_limit", "final_any_amount", "not_final"]


def award_item_kinds(on: date) -> dict[str, FinalityKind]:
    """Kinds of award item and how art. 47 treats each (policy `disputes.award_final.item_kinds`)."""
    return dict(get_policy().value("disputes.award_final.item_kinds", on=on))


@dataclass(frozen=True)
class ItemFinality:
    final: bool
    basis: str


def item_finality(kind: str, amount_fen: int | None, limit_fen: int, on: date) -> ItemFinality:
    """M18 (劳动争议调解仲裁法 art. 47; 法释〔2020〕26号): each item of the award on its own —
    the amount **awarded**, not claimed — up to 12 months of the minimum wage for pay, injury medical
    costs, compensation and damages (47(1)); working hours, rest and leave, social insurance of any
    amount (47(2)); anything else (confirming a labour relationship) is not final."""
    treatment = award_item_kinds(on)[kind]
    if treatment == "final_any_amount":
        return ItemFinality(True, "劳动争议调解仲裁法 art. 47(2)")
    if treatment == "final_up_to_limit":
        final = amount_fen is not None and 0 <= amount_fen <= limit_fen
        return ItemFinality(final, "劳动争议调解仲裁法 art. 47(1); 法释〔2020〕26号")
    return ItemFinality(False, "劳动争议调解仲裁法 art. 47 (not among its items)")


def award_final(items_final: Sequence[bool]) -> bool:
    """The award binds the employer at once when every item is final; an award mixing final and
    non-final items is treated as non-final (法释〔2020〕26号 art. 20)."""
    return bool(items_final) and all(items_final)


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
    return FindingSpec(
        "M1",
        "M1.misclassification_question",
        Severity.high,
        "争议事实符合劳动关系认定条件，但用工按非劳动关系订立，提请仲裁或法院认定",
        {"engagement_type": engagement_type, "labour_facts": present},
    )


def arbitration_track_violation(track: Track, misclassification: bool) -> Violation | None:
    if track == "labour_arbitration" or misclassification:
        return None
    return Violation(
        "M18",
        "M18.classified_handling",
        "This dispute is under a work agreement or civil contract: it goes to people's mediation or "
        "the court, not labour arbitration (unless its facts raise the misclassification question)",
    )
