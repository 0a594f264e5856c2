"""The roster's checks (M18), as pure functions over plain data: which roster a case draws from and
whether a mediator fits it."""

from __future__ import annotations

from datetime import date

from ..models import Case, Mediator


def roster_of(track: str) -> str:
    return "labour" if track == "labour_arbitration" else "court"


def unfit(mediator: Mediator, case: Case, on: date) -> str | None:
    """Why the mediator may not take the case (inactive, out of term, a conflict, another roster)."""
    if not mediator.active:
        return "is inactive"
    if not mediator.term_from <= on <= mediator.term_until:
        return "is outside their term"
    if {case.platform_id, case.enterprise_id} & set(mediator.conflicts):
        return "has a conflict of interest with a party"
    if roster_of(case.track) not in mediator.rosters:
        return f"is not on the {roster_of(case.track)} mediation roster"
    return None
