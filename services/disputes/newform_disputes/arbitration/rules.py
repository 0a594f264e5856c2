"""Arbitration's and the court route's checks (M18), as pure functions over plain data: leaving
mediation, classified handling, the committee's lateness and the award's finality."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from newform_common.deadlines import Deadline
from newform_common.findings import FindingSpec, Severity, Violation
from newform_common.policy import get_policy

from .. import clocks
from ..cases.rules import Track
from ..models import Case, CaseStage
from ..rules import about_body
from ..shared import today


def arbitration_acceptance_overdue(received_on: date, due_on: date, department: str) -> FindingSpec:
    return FindingSpec(
        "M18",
        "M18.arbitration_acceptance_overdue",
        Severity.medium,
        f"劳动人事争议仲裁委员会未在{due_on.isoformat()}前作出受理或不予受理决定",
        about_body({"received_on": received_on.isoformat(), "due_on": due_on.isoformat()}, department),
    )


def award_overdue(accepted_on: date, due_at_date: date, extension_days: int, department: str) -> FindingSpec:
    return FindingSpec(
        "M18",
        "M18.award_overdue",
        Severity.high,
        f"劳动人事争议仲裁委员会超过审理期限（{due_at_date.isoformat()}）未作出裁决",
        about_body(
            {
                "accepted_on": accepted_on.isoformat(),
                "due_on": due_at_date.isoformat(),
                "extension_days": extension_days,
            },
            department,
        ),
    )


def may_apply_for_arbitration(
    stage: str, *, arbitration_open_from: date | None, fulfil_by: date | None, on: date
) -> bool:
    """M18 (劳动争议调解仲裁法 arts. 5, 14, 15): mediation is voluntary, never a condition of arbitration.

    A worker may apply without any mediation (a case opened for arbitration), after withdrawing, when
    mediation ended without agreement, once 15 days from the mediation body's receipt of the
    application passed without agreement (`arbitration_open_from`, whether or not it accepted it), or
    when an agreement was not fulfilled by its date — whichever comes first."""
    if stage in (CaseStage.no_agreement, CaseStage.withdrawn):
        return True
    if stage in (CaseStage.received, CaseStage.mediating):
        return arbitration_open_from is not None and on >= arbitration_open_from
    if stage == CaseStage.agreement:
        return fulfil_by is not None and on > fulfil_by
    return False


def arbitration_open_from(case: Case) -> date | None:
    """M18 (art. 14): from this day the worker may apply for arbitration while mediation runs."""
    return clocks.arbitration_open_from(case.received_on) if case.received_on is not None else None


def eligible_for_arbitration(case: Case, on: date | None = None) -> bool:
    """Mediation is never a condition (art. 5): see `may_apply_for_arbitration`."""
    return may_apply_for_arbitration(
        case.stage, arbitration_open_from=arbitration_open_from(case), fulfil_by=case.fulfil_by, on=on or today()
    )


def court_route_open(case: Case, case_clocks: Sequence[Deadline], on: date | None = None) -> bool:
    """M18: the worker may go to the court now —
    - a work agreement or civil dispute out of mediation (classified handling);
    - the committee refused the application, or decided nothing in time (劳动争议调解仲裁法 art. 29);
    - the award is overdue (art. 43(1)): both follow from the clock, counted by the period rule."""
    on = on or today()
    if case.stage == CaseStage.arbitration_refused:
        return True
    latest = {d.kind: d for d in case_clocks}
    if case.stage == CaseStage.arbitration_requested:
        clock_ = latest.get(clocks.ARBITRATION_ACCEPTANCE)
        return clock_ is not None and clock_.status != "cancelled" and clocks.last_day_of(clock_) < on
    if case.stage == CaseStage.arbitration_accepted:
        clock_ = latest.get(clocks.ARBITRATION_AWARD)
        return clock_ is not None and clock_.status not in ("cancelled", "paused") and clocks.last_day_of(clock_) < on
    return case.track == "people_mediation_court" and eligible_for_arbitration(case, on)


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


def arbitration_track_violation(track: Track, misclassification: bool) -> Violation | None:
    if track == "labour_arbitration" or misclassification:
        return None
    return Violation(
        "M18",
        "M18.classified_handling",
        "This dispute is under a work agreement or civil contract: it goes to people's mediation or "
        "the court, not labour arbitration (unless its facts raise the misclassification question)",
    )
