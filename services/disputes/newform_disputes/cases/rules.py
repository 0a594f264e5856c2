"""The cases' checks (M1, M18), as pure functions over plain data: classified handling, the
misclassification question and the findings of mediation (acceptance, reassignment, fulfilment)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from newform_common.findings import FindingSpec, Severity
from newform_common.policy import get_policy

from ..rules import about_body

Track = Literal["labour_arbitration", "people_mediation_court"]


def track_of(engagement_type: str | None) -> Track:
    """M18 classified handling: a labour relationship goes to labour arbitration; a work agreement
    or a civil contract to people's mediation and the court. No engagement on record: arbitration
    decides first whether there is a labour relationship."""
    return "people_mediation_court" if engagement_type in ("work_agreement", "civil") else "labour_arbitration"


def mediation_acceptance_overdue(received_on: date, due_on: date, department: str) -> FindingSpec:
    return FindingSpec(
        "M18",
        "M18.mediation_acceptance_overdue",
        Severity.medium,
        f"调解组织未在{due_on.isoformat()}前受理调解申请",
        about_body({"received_on": received_on.isoformat(), "due_on": due_on.isoformat()}, department),
    )


def mediator_not_reassigned(since: date, due_on: date, department: str) -> FindingSpec:
    return FindingSpec(
        "M18",
        "M18.mediator_not_reassigned",
        Severity.medium,
        f"调解员退出名册后，调解组织未在{due_on.isoformat()}前为案件另行指派调解员",
        about_body({"without_mediator_since": since.isoformat(), "due_on": due_on.isoformat()}, department),
    )


def agreement_unfulfilled(fulfil_by: date, amount_fen: int | None) -> FindingSpec:
    return FindingSpec(
        "M18",
        "M18.agreement_unfulfilled",
        Severity.high,
        f"调解协议未在约定日期（{fulfil_by.isoformat()}）前履行",
        {"fulfil_by": fulfil_by.isoformat(), "amount_fen": amount_fen},
    )


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
